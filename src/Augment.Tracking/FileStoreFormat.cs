using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Augment.Tracking;

/// <summary>
/// Byte-level conventions of MLflow's file store, which is written by Python: meta.yaml as PyYAML's safe_dump
/// (sorted keys, block style), metric values as Python's str(float), artifact locations as file:// URIs.
/// </summary>
static partial class FileStoreFormat
{
    /// <summary>A flat mapping as PyYAML safe_dump writes it: keys sorted, strings quoted only where YAML would misread them.</summary>
    public static string Yaml(IReadOnlyDictionary<string, object?> fields)
    {
        var sb = new StringBuilder();
        foreach (var (key, value) in fields.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var text = value switch
            {
                null => "null",
                string s => YamlString(s),
                long or int => Convert.ToString(value, CultureInfo.InvariantCulture)!,
                Array { Length: 0 } => "[]",
                _ => throw new ArgumentException($"meta.yaml field '{key}' has unsupported type {value.GetType().Name}"),
            };
            sb.Append(key).Append(": ").Append(text).Append('\n');
        }
        return sb.ToString();
    }

    static string YamlString(string s)
    {
        if (s.Any(c => char.IsControl(c)))
        {
            var escaped = new StringBuilder("\"");
            foreach (var c in s)
                escaped.Append(c switch
                {
                    '"' => "\\\"",
                    '\\' => "\\\\",
                    '\n' => "\\n",
                    '\t' => "\\t",
                    '\r' => "\\r",
                    _ when char.IsControl(c) => $"\\u{(int)c:X4}",
                    _ => c.ToString(),
                });
            return escaped.Append('"').ToString();
        }
        return NeedsQuotes(s) ? "'" + s.Replace("'", "''") + "'" : s;
    }

    // PyYAML quotes a string when a YAML 1.1 reader would resolve the plain text to another type (0, 1.5, true, null,
    // 2024-01-01) or when an indicator character would change its meaning.
    static bool NeedsQuotes(string s) =>
        s.Length == 0
        || ImplicitlyTyped().IsMatch(s)
        || ",[]{}#&*!|>'\"%@`".Contains(s[0])
        || ("-?:".Contains(s[0]) && (s.Length == 1 || s[1] == ' '))
        || char.IsWhiteSpace(s[0]) || char.IsWhiteSpace(s[^1])
        || s.EndsWith(':') || s.Contains(": ") || s.Contains(" #");

    [GeneratedRegex(
        @"^(?:~|null|Null|NULL|yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|<<|=" +
        @"|[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+" +
        @"|[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?" +
        @"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)" +
        @"|[0-9]{4}-[0-9]{2}-[0-9]{2}" +
        @"|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)$")]
    private static partial Regex ImplicitlyTyped();

    /// <summary>Python's str(float): shortest round-trip digits, positional between 1e-4 and 1e16, else "1e-05" style.</summary>
    public static string PythonFloat(double v)
    {
        if (double.IsNaN(v)) return "nan";
        if (double.IsInfinity(v)) return v > 0 ? "inf" : "-inf";

        var r = v.ToString("R", CultureInfo.InvariantCulture);
        var sign = r.StartsWith('-') ? "-" : "";
        r = r.TrimStart('-');
        var ePos = r.IndexOf('E');
        var exp = ePos < 0 ? 0 : int.Parse(r[(ePos + 1)..], CultureInfo.InvariantCulture);
        var mantissa = ePos < 0 ? r : r[..ePos];
        var dot = mantissa.IndexOf('.');
        var digits = mantissa.Replace(".", "");
        // value = 0.<digits> * 10^decpt, the form Python's repr decides on.
        var decpt = (dot < 0 ? mantissa.Length : dot) + exp;
        var leadingZeros = digits.Length - digits.TrimStart('0').Length;
        digits = digits.TrimStart('0');
        decpt -= leadingZeros;
        digits = digits.TrimEnd('0');
        if (digits.Length == 0) return sign + "0.0";

        if (decpt > -4 && decpt <= 16)
        {
            if (decpt <= 0) return sign + "0." + new string('0', -decpt) + digits;
            if (decpt >= digits.Length) return sign + digits + new string('0', decpt - digits.Length) + ".0";
            return sign + digits[..decpt] + "." + digits[decpt..];
        }
        var e = decpt - 1;
        var head = digits.Length == 1 ? digits : digits[0] + "." + digits[1..];
        return sign + head + "e" + (e < 0 ? "-" : "+") + Math.Abs(e).ToString("00", CultureInfo.InvariantCulture);
    }

    /// <summary>Reads Python's float spellings (nan, inf, 1e-05) as well as .NET's.</summary>
    public static double ParseFloat(string s) => s.ToLowerInvariant() switch
    {
        "nan" or "-nan" or "+nan" => double.NaN,
        "inf" or "+inf" or "infinity" => double.PositiveInfinity,
        "-inf" or "-infinity" => double.NegativeInfinity,
        _ => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture),
    };

    /// <summary>pathlib's as_uri(): file:///abs/path with unsafe characters percent-encoded.</summary>
    public static string FileUri(string path) => new Uri(Path.GetFullPath(path)).AbsoluteUri;

    public static string? LocalPathOf(string uri) =>
        Uri.TryCreate(uri, UriKind.Absolute, out var u) && u.IsFile ? u.LocalPath : null;
}
