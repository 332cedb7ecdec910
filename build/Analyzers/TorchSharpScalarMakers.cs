using System.Collections.Generic;
using System.Linq;

namespace Augment.Analyzers;

/// <summary>
/// The public TorchSharp 0.107 members whose own code makes a Scalar it never disposes, as "Type.name(ParamType,…)".
/// Read off TorchSharp.dll's IL (calls to <c>Scalar.op_Implicit</c>/<c>ToScalar</c>, and the members that call those);
/// a test repeats that reading on the referenced TorchSharp, so an upgrade that adds one fails the suite.
/// Kept free of Roslyn types so the test can read it without loading the compiler.
/// </summary>
public static class TorchSharpScalarMakers
{
    const string Arithmetic = "use Augment.Data.Numerics.HeldScalars (Plus, Times, DividedBy, …) or a held Scalar";
    const string Alpha = "pass alpha/value explicitly (HeldScalars.One)";
    const string Optimizer = "use Augment.Data.Numerics.AdamW";
    const string Norm = "use Augment.Classifier.Models.HeldBatchNorm";
    const string Other = "write it with held Scalars";

    public static readonly IReadOnlyDictionary<string, string> Members = new Dictionary<string, string>
    {
        // Arithmetic operators: the number becomes a Scalar, and a + b passes alpha = 1.
        ["Tensor.op_Addition(Tensor,Tensor)"] = Arithmetic,
        ["Tensor.op_Addition(Tensor,Scalar)"] = Arithmetic,
        ["Tensor.op_Addition(Scalar,Tensor)"] = Arithmetic,
        ["Tensor.op_Subtraction(Scalar,Tensor)"] = Arithmetic,
        // Methods whose short overloads pass alpha/value = 1 or a default step.
        ["Tensor.add(Tensor)"] = Alpha,
        ["Tensor.add(Scalar)"] = Alpha,
        ["Tensor.add_(Tensor)"] = Alpha,
        ["Tensor.add_(Scalar)"] = Alpha,
        ["torch.add(Tensor,Tensor)"] = Alpha,
        ["torch.add(Tensor,Scalar)"] = Alpha,
        ["torch.add_(Tensor,Tensor)"] = Alpha,
        ["torch.add_(Tensor,Scalar)"] = Alpha,
        ["Tensor.addcdiv(Tensor,Tensor)"] = Alpha,
        ["Tensor.addcdiv_(Tensor,Tensor)"] = Alpha,
        ["torch.arange(Scalar,Nullable,Device,Boolean)"] = "use arange(start, stop, step, …) with held Scalars",
        ["torch.arange(Scalar,Scalar,Nullable,Device,Boolean)"] = "use arange(start, stop, step, …) with held Scalars",
        ["Tensor.square()"] = "use x.mul(x) or pow with a held Scalar",
        ["torch.square(Tensor)"] = "use x.mul(x) or pow with a held Scalar",
        ["Tensor.celu()"] = Other, ["Tensor.celu_()"] = Other,
        ["Tensor.elu(Double)"] = Other, ["Tensor.elu_(Double)"] = Other,
        ["Tensor.softplus(Double,Double)"] = Other,
        ["functional.celu(Tensor,Double,Boolean)"] = Other,
        ["functional.elu(Tensor,Double,Boolean)"] = Other,
        ["functional.hardshrink(Tensor,Double)"] = Other,
        ["functional.hardtanh(Tensor,Double,Double,Boolean)"] = Other,
        ["functional.leaky_relu(Tensor,Double,Boolean)"] = Other,
        ["functional.mish(Tensor,Boolean)"] = Other,
        ["functional.softplus(Tensor,Double,Double)"] = Other,
        ["functional.softshrink(Tensor,Double)"] = Other,
        ["functional.softsign(Tensor,Boolean)"] = Other,
        ["functional.threshold(Tensor,Double,Double,Boolean)"] = Other,
        ["linalg.matrix_norm(Tensor,Double,Int64[],Boolean)"] = Other,
        ["linalg.vector_norm(Tensor,Double,Int64[],Boolean)"] = Other,
        ["torch.normal(Double,Double,ReadOnlySpan,Nullable,Device,Boolean,Generator,String[])"] = Other,
        ["torch.normal(Tensor,Tensor,Generator)"] = Other,
        ["torch.histogram(Tensor,HistogramBinSelector,Nullable,Boolean)"] = Other,
        ["functional.Hardshrink(Tensor,Double)"] = Other,
        ["functional.Hardtanh(Tensor,Double,Double,Boolean)"] = Other,
        ["functional.Mish(Tensor)"] = Other,
        ["functional.Softshrink(Tensor,Double)"] = Other,
        ["functional.Softsign(Tensor)"] = Other,
        ["functional.Threshold(Tensor,Double,Double,Boolean)"] = Other,
        // A tensor read back as a number or text through a Scalar of its own.
        ["Tensor.op_Explicit(Tensor)"] = "use item<T>()",
        ["Tensor.tolist()"] = "use data<T>() or item<T>()",
        ["Tensor.ToString(TensorStringStyle,String,Nullable,CultureInfo,String)"] = "format item<T>() or data<T>()",
        ["Tensor.ToString(Boolean,String,Nullable,CultureInfo,String)"] = "format item<T>() or data<T>()",
    };

    /// <summary>Factories, by name whatever their overload: modules whose forward makes Scalars (BatchNorm counts its
    /// batches with num_batches_tracked.add_(1) while training) and optimizers, whose steps do
    /// (exp_avg.mul_(beta1).add_(grad, alpha: 1 - beta1), …).</summary>
    public static readonly IReadOnlyDictionary<string, string> Factories = new Dictionary<string, string>
    {
        ["nn.BatchNorm1d"] = Norm, ["nn.BatchNorm2d"] = Norm, ["nn.BatchNorm3d"] = Norm,
        ["nn.CELU"] = Other, ["nn.ELU"] = Other, ["nn.Hardshrink"] = Other, ["nn.Hardtanh"] = Other,
        ["nn.LeakyReLU"] = Other, ["nn.Mish"] = Other, ["nn.Softplus"] = Other, ["nn.Softshrink"] = Other,
        ["nn.Softsign"] = Other, ["nn.Threshold"] = Other, ["nn.PReLU"] = Other, ["nn.GaussianNLLLoss"] = Other,
        ["optim.ASGD"] = Optimizer, ["optim.Adadelta"] = Optimizer, ["optim.Adagrad"] = Optimizer,
        ["optim.Adam"] = Optimizer, ["optim.AdamW"] = Optimizer, ["optim.Adamax"] = Optimizer,
        ["optim.NAdam"] = Optimizer, ["optim.RAdam"] = Optimizer, ["optim.RMSProp"] = Optimizer,
        ["optim.Rprop"] = Optimizer, ["optim.SGD"] = Optimizer,
    };

    /// <summary>Every <c>op_X(Tensor, number)</c> and <c>op_X(number, Tensor)</c>: the number becomes a Scalar.</summary>
    static readonly HashSet<string> NumberOperators = new(
        from op in new[] { "op_Addition", "op_Subtraction", "op_Multiply", "op_Division", "op_Modulus" }
        from number in new[] { "Int32", "Int64", "Single", "Double" }
        from key in new[] { $"Tensor.{op}(Tensor,{number})", $"Tensor.{op}({number},Tensor)" }
        select key);

    /// <summary>What to write instead, or null for a member that makes no Scalar of its own.</summary>
    public static string? Advice(string key)
    {
        if (Members.TryGetValue(key, out var advice)) return advice;
        if (NumberOperators.Contains(key)) return Arithmetic;
        return Factories.TryGetValue(key.Substring(0, key.IndexOf('(')), out advice) ? advice : null;
    }
}
