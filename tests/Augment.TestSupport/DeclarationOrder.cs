using Xunit.Abstractions;
using Xunit.Sdk;

namespace Augment.Tests;

/// <summary>
/// Runs a class's tests in the order they are written. xunit's default order hashes each test's id, which includes
/// the assembly's name, so moving a class to another test project reshuffles it; a class whose later tests change the
/// shared fixture that earlier ones inspect needs a fixed order.
/// </summary>
public sealed class DeclarationOrder : ITestCaseOrderer
{
    public const string Type = "Augment.Tests.DeclarationOrder", Assembly = "Augment.TestSupport";

    public IEnumerable<TTestCase> OrderTestCases<TTestCase>(IEnumerable<TTestCase> testCases) where TTestCase : ITestCase =>
        testCases.OrderBy(t => t.TestMethod.Method.ToRuntimeMethod().MetadataToken);
}
