// The one ELF64 version-need walker. Two compilers read this file: the `augment` project (its doctor reports the flag)
// and RoslynCodeTaskFactory in WeakenGlibcxxNeed.targets (the build step that sets it). The task class below is only
// in the second: the task factory compiles for .NET Standard, where NET is not defined, and it alone references MSBuild.
// Plain C# 7.3 (block namespaces, no newer syntax), which is what the task factory accepts.
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace Augment.Build
{
    static class ElfVersionNeed
    {
        /// <summary>The vna_flags bit that makes a missing needed version a warning for the loader, not an error.</summary>
        public const ushort VerFlgWeak = 0x2;

        public static bool IsElf64(byte[] elf) => elf.Length >= 64 && elf[0] == 0x7f && elf[1] == (byte)'E' && elf[4] == 2;

        /// <summary>Byte offsets of the vna_flags of every needed version named <paramref name="version"/>; empty when
        /// the file does not need it or is not a 64-bit ELF file.</summary>
        public static List<int> FlagOffsets(byte[] elf, string version)
        {
            var offsets = new List<int>();
            if (!IsElf64(elf)) return offsets;
            long shoff = BitConverter.ToInt64(elf, 0x28);
            int shentsize = BitConverter.ToUInt16(elf, 0x3A), shnum = BitConverter.ToUInt16(elf, 0x3C);
            for (int s = 0; s < shnum; s++)
            {
                int sh = (int)(shoff + (long)s * shentsize);
                if (BitConverter.ToUInt32(elf, sh + 4) != 0x6ffffffe) continue; // SHT_GNU_verneed
                long vn = BitConverter.ToInt64(elf, sh + 24);
                int link = (int)BitConverter.ToUInt32(elf, sh + 40), count = (int)BitConverter.ToUInt32(elf, sh + 44);
                long strtab = BitConverter.ToInt64(elf, (int)(shoff + (long)link * shentsize) + 24);
                for (int i = 0; i < count; i++)
                {
                    int auxCount = BitConverter.ToUInt16(elf, (int)vn + 2);
                    long vna = vn + BitConverter.ToUInt32(elf, (int)vn + 8);
                    for (int a = 0; a < auxCount; a++)
                    {
                        int name = (int)(strtab + BitConverter.ToUInt32(elf, (int)vna + 8));
                        int end = Array.IndexOf(elf, (byte)0, name);
                        if (Encoding.ASCII.GetString(elf, name, end - name) == version) offsets.Add((int)vna + 4);
                        vna += BitConverter.ToUInt32(elf, (int)vna + 12);
                    }
                    vn += BitConverter.ToUInt32(elf, (int)vn + 12);
                }
            }
            return offsets;
        }

        /// <summary>vna_flags of the first needed version named <paramref name="version"/>, or null when the file does
        /// not need it (or is not a 64-bit ELF file).</summary>
        public static int? Flags(string path, string version)
        {
            var elf = File.ReadAllBytes(path);
            var offsets = FlagOffsets(elf, version);
            if (offsets.Count == 0) return null;
            return BitConverter.ToUInt16(elf, offsets[0]);
        }
    }

#if !NET
    /// <summary>Marks every need of <see cref="Version"/> weak in each of <see cref="Files"/>, in place and atomically.</summary>
    public sealed class WeakenElfVersionNeed : Microsoft.Build.Utilities.Task
    {
        [Microsoft.Build.Framework.Required] public Microsoft.Build.Framework.ITaskItem[] Files { get; set; }
        [Microsoft.Build.Framework.Required] public string Version { get; set; }

        public override bool Execute()
        {
            foreach (var item in Files)
            {
                var path = item.ItemSpec;
                var elf = File.ReadAllBytes(path);
                if (!ElfVersionNeed.IsElf64(elf))
                {
                    Log.LogWarning("{0}: not a 64-bit ELF file, left as is", path);
                    continue;
                }
                int changed = 0;
                foreach (int at in ElfVersionNeed.FlagOffsets(elf, Version))
                {
                    ushort flags = BitConverter.ToUInt16(elf, at);
                    if ((flags & ElfVersionNeed.VerFlgWeak) != 0) continue;
                    BitConverter.GetBytes((ushort)(flags | ElfVersionNeed.VerFlgWeak)).CopyTo(elf, at);
                    changed++;
                }
                if (changed == 0) continue;
                var tmp = path + ".tmp";
                File.WriteAllBytes(tmp, elf);
                // A rename, not a copy over the file: the output may be a hard link into the NuGet cache.
                File.Replace(tmp, path, null);
                Log.LogMessage(Microsoft.Build.Framework.MessageImportance.High, "Marked {0} weak in {1}", Version, path);
            }
            return !Log.HasLoggedErrors;
        }
    }
#endif
}
