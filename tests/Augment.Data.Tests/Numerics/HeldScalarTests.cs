using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using Augment.Analyzers;
using Augment.Data.Numerics;
using Augment.Tests.Generator;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Augment.Tests.Numerics;

/// <summary>
/// The guard against TorchSharp's finalizer-freed Scalars: the analyzer refuses the forms that make one, its list of
/// TorchSharp members is complete for the TorchSharp this builds against, and the replacements compute the same bits.
/// </summary>
public class HeldScalarTests
{
    static ImmutableArray<Diagnostic> Analyze(string code)
    {
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Append(typeof(torch).Assembly.Location).Select(p => MetadataReference.CreateFromFile(p));
        var compilation = CSharpCompilation.Create("probe", [CSharpSyntaxTree.ParseText(code)], references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        return compilation.WithAnalyzers([new ImplicitScalarAnalyzer()]).GetAnalyzerDiagnosticsAsync().Result;
    }

    [Fact]
    public void TheAnalyzerRefusesTemporaryScalarsAndAcceptsHeldOnes()
    {
        var found = Analyze("""
            using TorchSharp;
            using static TorchSharp.torch;
            class Probe
            {
                static readonly Scalar Half = 0.5;
                Tensor Operators(Tensor x, Tensor y) => x * 0.5 + y;
                Tensor Implicit(Tensor x) => x.clamp(0, 1);
                Tensor Alpha(Tensor x, Tensor y) => x.add(y);
                object Optimizer(Tensor x) => optim.AdamW(new[] { new TorchSharp.Modules.Parameter(x) });
                object Norm() => nn.BatchNorm3d(4);
                Tensor Held(Tensor x, Tensor y)
                {
                    using Scalar s = 0.25;
                    return x.mul(s).mul(Half).add(y, Half).sub(y);
                }
            }
            """);
        string Where(Diagnostic d) => d.Id + " " + d.Location.SourceTree!.GetText().ToString(d.Location.SourceSpan);
        Assert.Equal(
            ["AUG001 0", "AUG001 1", "AUG002 nn.BatchNorm3d(4)", "AUG002 optim.AdamW(new[] { new TorchSharp.Modules.Parameter(x) })",
             "AUG002 x * 0.5", "AUG002 x * 0.5 + y", "AUG002 x.add(y)"],
            found.Select(Where).Order(StringComparer.Ordinal));
    }

    /// <summary>
    /// Reads TorchSharp.dll's IL: every public member of torch, Tensor, nn.functional and linalg that makes a Scalar
    /// (directly or through another TorchSharp method), every module whose forward does and every optimizer whose step
    /// does must be refused by the analyzer. A TorchSharp upgrade that adds one fails here.
    /// </summary>
    [Fact]
    public void TheAnalyzersListCoversEveryTorchSharpMemberThatMakesAScalar()
    {
        var scan = new ScalarMakerScan(typeof(torch).Assembly.Location);
        Assert.Contains("Tensor.add(Tensor)", scan.Members); // the scan sees what is known to be there
        var missed = scan.Members.Where(k => TorchSharpScalarMakers.Advice(k) is null).ToList();
        missed.AddRange(scan.Modules.Select(m => "nn." + m).Where(f => !TorchSharpScalarMakers.Factories.ContainsKey(f)));
        missed.AddRange(scan.Optimizers.Select(o => "optim." + o).Where(f => !TorchSharpScalarMakers.Factories.ContainsKey(f)));
        Assert.True(missed.Count == 0, "not refused by the analyzer: " + string.Join(", ", missed));
    }

    [Fact]
    public void TheReplacementsComputeWhatTorchSharpsOperatorsCompute()
    {
        using var scope = NewDisposeScope();
        using var g = new torch.Generator(7);
        var x = randn([64], generator: g);
        var y = randn([64], generator: g);
#pragma warning disable AUG001, AUG002 // the forms being replaced, once, to compare
        Assert.True(TinyFixtures.Same(x.Plus(y), x + y));
        Assert.True(TinyFixtures.Same(x.Plus(0.3), x + 0.3));
        Assert.True(TinyFixtures.Same(x.Minus(0.3), x - 0.3));
        Assert.True(TinyFixtures.Same(x.SubtractedFrom(1), 1 - x));
        Assert.True(TinyFixtures.Same(x.Times(127.5), x * 127.5));
        Assert.True(TinyFixtures.Same(x.DividedBy(127.5), x / 127.5));
        Assert.True(TinyFixtures.Same(HeldScalars.Arange(0, 10, 2, ScalarType.Float32), arange(0, 10, 2, dtype: ScalarType.Float32)));
#pragma warning restore AUG001, AUG002
        Assert.True(x.Clamped(-0.5, 0.5).max().item<float>() <= 0.5f);
        Assert.True(TinyFixtures.Same(HeldScalars.Full([3], 0.25, ScalarType.Float64), tensor(new[] { 0.25, 0.25, 0.25 })));
    }

    /// <summary>AdamW's step is PyTorch's: the same parameters after three steps as TorchSharp's own optimizer.</summary>
    [Fact]
    public void AdamWStepsLikeTorchSharpsOwn()
    {
        using var scope = NewDisposeScope();
        using var g = new torch.Generator(3);
        var start = randn([5, 4], generator: g);
        var grads = Enumerable.Range(0, 3).Select(_ => randn([5, 4], generator: g)).ToList();
        var ours = new TorchSharp.Modules.Parameter(start.clone());
        var theirs = new TorchSharp.Modules.Parameter(start.clone());
        using var adam = new AdamW([new AdamW.Group([("w", ours)], 0.01)], weightDecay: 0.05);
#pragma warning disable AUG002 // the reference it is compared with
        using var reference = optim.AdamW([theirs], lr: 0.01, weight_decay: 0.05);
#pragma warning restore AUG001, AUG002
        foreach (var grad in grads)
        {
            ours.grad = grad.clone();
            theirs.grad = grad.clone();
            adam.Step();
            reference.step();
        }
        Assert.True(TinyFixtures.Same(ours, theirs), $"max difference {(ours - theirs).abs().max().item<float>()}");
    }
}

/// <summary>The TorchSharp members whose IL makes a Scalar (Scalar.op_Implicit / ToScalar), closed over TorchSharp's own calls.</summary>
sealed class ScalarMakerScan
{
    public List<string> Members { get; } = [];
    public List<string> Modules { get; } = [];
    public List<string> Optimizers { get; } = [];

    public ScalarMakerScan(string path)
    {
        using var pe = new PEReader(File.OpenRead(path));
        var md = pe.GetMetadataReader();
        var makers = new HashSet<MethodDefinitionHandle>();
        var callers = new Dictionary<MethodDefinitionHandle, List<MethodDefinitionHandle>>();
        foreach (var handle in md.MethodDefinitions)
        {
            var method = md.GetMethodDefinition(handle);
            if (method.RelativeVirtualAddress == 0) continue;
            foreach (var callee in Calls(md, pe.GetMethodBody(method.RelativeVirtualAddress).GetILReader()))
            {
                var (type, name) = Name(md, callee);
                if ((type == "Scalar" && name == "op_Implicit") || name == "ToScalar") makers.Add(handle);
                if (callee.Kind == HandleKind.MethodDefinition)
                {
                    var target = (MethodDefinitionHandle)callee;
                    if (!callers.TryGetValue(target, out var list)) callers[target] = list = [];
                    list.Add(handle);
                }
            }
        }
        var queue = new Queue<MethodDefinitionHandle>(makers);
        while (queue.Count > 0)
            foreach (var caller in callers.GetValueOrDefault(queue.Dequeue()) ?? [])
                if (makers.Add(caller)) queue.Enqueue(caller);

        var torchSharp = Assembly.LoadFrom(path);
        foreach (var handle in makers)
        {
            var method = md.GetMethodDefinition(handle);
            var typeDef = md.GetTypeDefinition(method.GetDeclaringType());
            string type = md.GetString(typeDef.Name), name = md.GetString(method.Name);
            if (type.StartsWith('<')) // a lambda: an optimizer's step runs its update in one
            {
                var outer = md.GetString(md.GetTypeDefinition(typeDef.GetDeclaringType()).Name);
                if (name.Contains("<step>", StringComparison.Ordinal)) Optimizers.Add(outer);
                continue;
            }
            if (name.Contains("<step>", StringComparison.Ordinal)) { Optimizers.Add(type); continue; }
            if (name == "forward" && (method.Attributes & System.Reflection.MethodAttributes.Public) != 0)
            {
                // A module's forward: every concrete module type that runs it needs its factory refused.
                var declaring = torchSharp.GetType(FullName(md, typeDef))!;
                Modules.AddRange(torchSharp.GetExportedTypes().Where(t => !t.IsAbstract && declaring.IsAssignableFrom(t)
                    && t.GetMethod("forward", [typeof(Tensor)])?.DeclaringType == declaring).Select(t => t.Name));
                continue;
            }
            if ((method.Attributes & System.Reflection.MethodAttributes.Public) == 0 || name.StartsWith('<')) continue;
            if (type is not ("Tensor" or "torch" or "functional" or "linalg" or "special" or "fft")) continue;
            var parameters = method.DecodeSignature(new TypeNames(), null).ParameterTypes;
            Members.Add($"{type}.{name}({string.Join(",", parameters)})");
        }
        Optimizers.RemoveAll(o => o is "Optimizer" or "OptimizerHelper");
    }

    static string FullName(MetadataReader md, TypeDefinition type)
    {
        var name = md.GetString(type.Name);
        for (var outer = type.GetDeclaringType(); !outer.IsNil; outer = md.GetTypeDefinition(outer).GetDeclaringType())
            name = md.GetString(md.GetTypeDefinition(outer).Name) + "+" + name;
        var root = type;
        while (!root.GetDeclaringType().IsNil) root = md.GetTypeDefinition(root.GetDeclaringType());
        return md.GetString(root.Namespace) + "." + name;
    }

    static (string Type, string Name) Name(MetadataReader md, EntityHandle handle) => handle.Kind switch
    {
        HandleKind.MethodDefinition => (TypeName(md, md.GetMethodDefinition((MethodDefinitionHandle)handle).GetDeclaringType()), md.GetString(md.GetMethodDefinition((MethodDefinitionHandle)handle).Name)),
        HandleKind.MemberReference => (TypeName(md, md.GetMemberReference((MemberReferenceHandle)handle).Parent), md.GetString(md.GetMemberReference((MemberReferenceHandle)handle).Name)),
        HandleKind.MethodSpecification => Name(md, md.GetMethodSpecification((MethodSpecificationHandle)handle).Method),
        _ => ("", ""),
    };

    static string TypeName(MetadataReader md, EntityHandle handle) => handle.Kind switch
    {
        HandleKind.TypeDefinition => md.GetString(md.GetTypeDefinition((TypeDefinitionHandle)handle).Name),
        HandleKind.TypeReference => md.GetString(md.GetTypeReference((TypeReferenceHandle)handle).Name),
        _ => "",
    };

    /// <summary>The methods a body calls (call, callvirt, newobj).</summary>
    static IEnumerable<EntityHandle> Calls(MetadataReader md, BlobReader il)
    {
        while (il.RemainingBytes > 0)
        {
            int code = il.ReadByte();
            if (code == 0xFE) code = 0xFE00 | il.ReadByte();
            if (code is 0x28 or 0x6F or 0x73) { yield return MetadataTokens.EntityHandle(il.ReadInt32()); continue; }
            if (code == 0x45) { il.Offset += 4 * il.ReadInt32(); continue; } // switch
            il.Offset += OperandSize(code);
        }
    }

    static int OperandSize(int code) => code switch
    {
        >= 0xFE00 => (code & 0xFF) switch { 0x09 or 0x0A or 0x0B or 0x0C or 0x0D or 0x0E => 2, 0x12 => 1, 0x06 or 0x07 or 0x15 or 0x16 or 0x19 or 0x1C or 0x1D => 4, _ => 0 },
        0x21 or 0x23 => 8,
        0x20 or 0x22 or 0x27 or 0x29 or (>= 0x38 and <= 0x44) or (>= 0x70 and <= 0x75) or 0x79 or (>= 0x7B and <= 0x81)
            or 0x8C or 0x8D or 0x8F or (>= 0xA3 and <= 0xA5) or 0xC2 or 0xC6 or 0xD0 or 0xDD => 4,
        (>= 0x0E and <= 0x13) or 0x1F or (>= 0x2B and <= 0x37) or 0xDE => 1,
        _ => 0,
    };

    /// <summary>Parameter types by simple name, generic arguments dropped: the analyzer's key form.</summary>
    sealed class TypeNames : ISignatureTypeProvider<string, object?>
    {
        public string GetArrayType(string element, ArrayShape shape) => element + "[]";
        public string GetByReferenceType(string element) => element;
        public string GetFunctionPointerType(MethodSignature<string> signature) => "fnptr";
        public string GetGenericInstantiation(string generic, ImmutableArray<string> arguments) => generic;
        public string GetGenericMethodParameter(object? context, int index) => "T";
        public string GetGenericTypeParameter(object? context, int index) => "T";
        public string GetModifiedType(string modifier, string unmodified, bool isRequired) => unmodified;
        public string GetPinnedType(string element) => element;
        public string GetPointerType(string element) => element + "*";
        public string GetPrimitiveType(PrimitiveTypeCode code) => code.ToString();
        public string GetSZArrayType(string element) => element + "[]";
        public string GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte kind) => StripArity(reader.GetString(reader.GetTypeDefinition(handle).Name));
        public string GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte kind) => StripArity(reader.GetString(reader.GetTypeReference(handle).Name));
        public string GetTypeFromSpecification(MetadataReader reader, object? context, TypeSpecificationHandle handle, byte kind) => "T";
        static string StripArity(string name) => name.IndexOf('`') is var i and >= 0 ? name[..i] : name;
    }
}
