using System.Text;

namespace Augment.Data;

/// <summary>The one CSV dialect Augment reads and writes: RFC 4180 quoting, any single-character separator.</summary>
public static class Csv
{
    /// <summary>Splits one line; double quotes protect separators, "" is a literal quote.</summary>
    public static List<string> SplitLine(string line, char separator = ',')
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"') { field.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else field.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == separator) { fields.Add(field.ToString()); field.Clear(); }
            else field.Append(c);
        }
        fields.Add(field.ToString());
        return fields;
    }

    /// <summary>A field as it must be written so <see cref="SplitLine"/> reads it back.</summary>
    public static string Quote(string s) => s.IndexOfAny([',', ';', '"', '\n', '\r']) < 0 ? s : "\"" + s.Replace("\"", "\"\"") + "\"";
}
