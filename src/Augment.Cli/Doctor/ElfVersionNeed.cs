namespace Augment.Cli.Doctor;

/// <summary>Reads one entry of an ELF64 file's version-need section (what build/WeakenGlibcxxNeed.targets edits).</summary>
static class ElfVersionNeed
{
    /// <summary>vna_flags of the needed version named <paramref name="version"/>, or null when the file does not need it.</summary>
    public static int? Flags(string path, string version)
    {
        var elf = File.ReadAllBytes(path);
        if (elf.Length < 64 || elf[0] != 0x7f || elf[4] != 2) return null;
        long shoff = BitConverter.ToInt64(elf, 0x28);
        int shentsize = BitConverter.ToUInt16(elf, 0x3A), shnum = BitConverter.ToUInt16(elf, 0x3C);
        for (int s = 0; s < shnum; s++)
        {
            int sh = (int)(shoff + (long)s * shentsize);
            if (BitConverter.ToUInt32(elf, sh + 4) != 0x6ffffffe) continue; // SHT_GNU_verneed
            long offset = BitConverter.ToInt64(elf, sh + 24);
            int link = (int)BitConverter.ToUInt32(elf, sh + 40), count = (int)BitConverter.ToUInt32(elf, sh + 44);
            long strtab = BitConverter.ToInt64(elf, (int)(shoff + (long)link * shentsize) + 24);
            for (int i = 0; i < count; i++)
            {
                int auxCount = BitConverter.ToUInt16(elf, (int)offset + 2);
                long aux = offset + BitConverter.ToUInt32(elf, (int)offset + 8);
                for (int j = 0; j < auxCount; j++)
                {
                    int flags = BitConverter.ToUInt16(elf, (int)aux + 4);
                    long name = strtab + BitConverter.ToUInt32(elf, (int)aux + 8);
                    int end = Array.IndexOf(elf, (byte)0, (int)name);
                    if (System.Text.Encoding.ASCII.GetString(elf, (int)name, end - (int)name) == version) return flags;
                    aux += BitConverter.ToUInt32(elf, (int)aux + 12);
                }
                offset += BitConverter.ToUInt32(elf, (int)offset + 12);
            }
        }
        return null;
    }
}
