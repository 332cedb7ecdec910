using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Augment.Analyzers;

/// <summary>
/// TorchSharp 0.107 puts its <c>Scalar</c>s in no dispose scope, so a temporary one is freed only by its finalizer —
/// which may run, on the finalizer thread, while libtorch is still reading it inside the call it was made for (a
/// use-after-free: "Expected false to be true" in Scalar.h, or a crash, under load). A Scalar held by a <c>using</c>
/// local or a static field lives until the call has returned. This refuses the two ways a temporary one is made:
/// <list type="bullet">
/// <item>AUG001: a number converted implicitly to a Scalar in Augment's code (<c>x.clamp(0, 1)</c>, <c>full(s, 0.5)</c>);</item>
/// <item>AUG002: a TorchSharp member that converts one itself (<c>x * 0.5</c>, <c>a + b</c> through its alpha = 1,
/// <c>square()</c>, BatchNorm's batch counter, the optimizers' steps).</item>
/// </list>
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ImplicitScalarAnalyzer : DiagnosticAnalyzer
{
    public static readonly DiagnosticDescriptor Implicit = new(
        id: "AUG001",
        title: "Implicit TorchSharp Scalar",
        messageFormat: "'{0}' becomes a TorchSharp Scalar that only the finalizer frees, possibly during the native call: hold it in a 'using' local or a static field",
        category: "Reliability",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor Hidden = new(
        id: "AUG002",
        title: "TorchSharp member that makes its own Scalar",
        messageFormat: "{0} makes a TorchSharp Scalar inside TorchSharp that only the finalizer frees, possibly during the native call: {1}",
        category: "Reliability",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Implicit, Hidden);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var scalar = start.Compilation.GetTypeByMetadataName("TorchSharp.Scalar");
            if (scalar is null) return;
            start.RegisterOperationAction(op =>
            {
                var conversion = (IConversionOperation)op.Operation;
                if (!conversion.IsImplicit || conversion.OperatorMethod is null) return;
                if (!SymbolEqualityComparer.Default.Equals(conversion.Type, scalar) || IsHeld(conversion)) return;
                op.ReportDiagnostic(Diagnostic.Create(Implicit, conversion.Syntax.GetLocation(), conversion.Operand.Syntax.ToString()));
            }, OperationKind.Conversion);
            start.RegisterOperationAction(op =>
            {
                var method = op.Operation switch
                {
                    IBinaryOperation b => b.OperatorMethod,
                    ICompoundAssignmentOperation c => c.OperatorMethod,
                    IInvocationOperation i => i.TargetMethod,
                    _ => null,
                };
                if (method is null || method.ContainingAssembly?.Name != "TorchSharp") return;
                if (TorchSharpScalarMakers.Advice(Key(method)) is { } advice)
                    op.ReportDiagnostic(Diagnostic.Create(Hidden, op.Operation.Syntax.GetLocation(), Short(op.Operation.Syntax.ToString()), advice));
            }, OperationKind.Binary, OperationKind.CompoundAssignment, OperationKind.Invocation);
        });
    }

    /// <summary>The Scalar initialises a field (rooted by it) or a <c>using</c> local (disposed only after its last use).</summary>
    static bool IsHeld(IConversionOperation conversion)
    {
        switch (conversion.Parent)
        {
            case IFieldInitializerOperation:
                return true;
            case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation { Parent: IVariableDeclarationOperation declaration } }:
                var owner = declaration.Parent is IVariableDeclarationGroupOperation group ? group.Parent : declaration.Parent;
                return owner is IUsingDeclarationOperation or IUsingOperation;
            default:
                return false;
        }
    }

    static string Short(string code)
    {
        var line = string.Join(" ", code.Split((char[]?)null, System.StringSplitOptions.RemoveEmptyEntries));
        return "'" + (line.Length <= 60 ? line : line.Substring(0, 57) + "...") + "'";
    }

    /// <summary>"Type.name(ParamType,…)" with simple type names: the form <see cref="TorchSharpScalarMakers"/> lists.</summary>
    public static string Key(IMethodSymbol method) =>
        $"{method.ContainingType.Name}.{method.Name}({string.Join(",", method.Parameters.Select(p => TypeName(p.Type)))})";

    static string TypeName(ITypeSymbol type) => type is IArrayTypeSymbol array ? TypeName(array.ElementType) + "[]" : type.Name;
}
