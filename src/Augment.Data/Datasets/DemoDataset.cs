using Augment.Data.Video;

namespace Augment.Data.Datasets;

/// <summary>
/// Sizes of the rendered demo. Scarce classes are the last <paramref name="ScarceClasses"/> classes; all
/// <paramref name="TrainPerClass"/> training clips are rendered and the spec's <c>keep</c> trims scarce classes to
/// <paramref name="ScarceTrainPerClass"/>.
/// </summary>
public sealed record DemoOptions(int Classes = 5, int Frames = 16, int Size = 64, int TrainPerClass = 30,
    int ScarceTrainPerClass = 3, int ScarceClasses = 2, int ValPerClass = 8, int TestPerClass = 16);

/// <summary>
/// Renders the embedded, clearly synthetic demo dataset so everything runs with no downloads: endoscopy-like clips
/// (a round scope view of moving mucosa texture) whose classes differ in texture, colour and motion, with per-clip
/// variation and deliberate overlap between classes so a classifier has to learn, and so scarce classes stay hard.
/// </summary>
public static class DemoDataset
{
    public const double Fps = 8;

    /// <summary>The demo's classes in label order, each with the prompt the generator is conditioned on.</summary>
    public static readonly IReadOnlyList<ClassPrompt> AllClasses =
    [
        new("synthetic-normal-mucosa", "synthetic endoscopy: smooth pink healthy mucosa with fine red blood vessels, the scope drifting slowly"),
        new("synthetic-inflamed-mucosa", "synthetic endoscopy: red swollen granular mucosa with pale erosion spots and no visible vessels, the scope shaking"),
        new("synthetic-bleeding", "synthetic endoscopy: a dark red pool of blood spreading over pink mucosa, blood streaming downwards"),
        new("synthetic-polyp", "synthetic endoscopy: a round raised pale polyp with a shiny highlight on pink mucosa, the scope approaching it"),
        new("synthetic-dyed-lifted-polyp", "synthetic endoscopy: a raised polyp lifted by blue dye injection, blue-stained mucosa around it"),
    ];

    /// <summary>The general (non-medical) pool's classes: the stand-in for a foundation model's general prior.</summary>
    public static readonly IReadOnlyList<ClassPrompt> GeneralClasses =
    [
        new("moving-circle", "a bright coloured circle gliding across a plain background"),
        new("sliding-stripes", "diagonal coloured stripes sliding sideways"),
        new("bouncing-square", "a solid square bouncing around on a gradient background"),
        new("colour-sweep", "a smooth colour gradient sweeping slowly across the frame"),
        new("twinkling-dots", "scattered small dots twinkling on a dark background"),
    ];

    /// <summary>
    /// Writes &lt;outDir&gt;/{train,val,test}/&lt;class&gt;/*.mp4, classes.yaml and dataset.yaml; returns the spec that
    /// loads it (folder adapter, scarce classes trimmed by <c>keep</c>).
    /// </summary>
    public static DatasetSpec Render(string outDir, long seed = 0, DemoOptions? options = null, IProgress<(int done, int total)>? progress = null)
    {
        var o = Validate(options ?? new DemoOptions(), AllClasses.Count);
        var classes = AllClasses.Take(o.Classes).ToList();
        var jobs = new List<(string Path, int Class, string Purpose)>();
        foreach (var (split, n) in new[] { (Splits.Train, o.TrainPerClass), (Splits.Val, o.ValPerClass), (Splits.Test, o.TestPerClass) })
            for (int c = 0; c < classes.Count; c++)
                for (int i = 0; i < n; i++)
                    jobs.Add((Path.Combine(outDir, split, classes[c].Name, $"{split}-{i:D3}.mp4"), c, $"demo/{split}/{c}/{i}"));
        RenderAll(jobs, (job, rng) => RenderEndoscopy(job.Class, rng, o), seed, o, progress);

        ClassPrompts.Save(Path.Combine(outDir, ClassPrompts.FileName), classes, "Synthetic demo classes (rendered by augment datasets demo).");
        var spec = new DatasetSpec
        {
            Name = "demo",
            Adapter = "folder",
            Root = Path.GetFullPath(outDir),
            Keep = classes.TakeLast(o.ScarceClasses).ToDictionary(c => c.Name, _ => o.ScarceTrainPerClass),
            Seed = seed,
        };
        DatasetSpecYaml.Save(Path.Combine(outDir, "dataset.yaml"), spec);
        return spec;
    }

    /// <summary>
    /// Writes a non-medical pool &lt;outDir&gt;/&lt;class&gt;/*.mp4 (TrainPerClass clips per class, split by the
    /// loader) with classes.yaml and dataset.yaml, for pretraining the base generator.
    /// </summary>
    public static DatasetSpec RenderGeneralPool(string outDir, long seed = 0, DemoOptions? options = null, IProgress<(int done, int total)>? progress = null)
    {
        var o = Validate(options ?? new DemoOptions(), GeneralClasses.Count);
        var classes = GeneralClasses.Take(o.Classes).ToList();
        var jobs = new List<(string Path, int Class, string Purpose)>();
        for (int c = 0; c < classes.Count; c++)
            for (int i = 0; i < o.TrainPerClass; i++)
                jobs.Add((Path.Combine(outDir, classes[c].Name, $"clip-{i:D3}.mp4"), c, $"general/{c}/{i}"));
        RenderAll(jobs, (job, rng) => RenderGeneral(job.Class, rng, o), seed, o, progress);

        ClassPrompts.Save(Path.Combine(outDir, ClassPrompts.FileName), classes, "General (non-medical) video pool for generator pretraining.");
        var spec = new DatasetSpec { Name = "general-pool", Adapter = "folder", Root = Path.GetFullPath(outDir), Seed = seed };
        DatasetSpecYaml.Save(Path.Combine(outDir, "dataset.yaml"), spec);
        return spec;
    }

    /// <summary>The captions file of a rendered demo corpus.</summary>
    public const string CorpusCaptions = "captions.csv";

    /// <summary>
    /// Writes a small captioned medical corpus, &lt;outDir&gt;/clips/*.mp4 and captions.csv (path,caption), for adapting
    /// the generator the way MedGen adapts on MedVideoCap-55K: scenes of the demo's endoscopy world drawn from their own
    /// seed and their own mix (polyp, dye, blood, vessels, inflammation and scope motion each present or not, independently
    /// of the demo's classes), each captioned with what is visible in it, never with a class name. Returns the captions file.
    /// </summary>
    public static string RenderCorpus(string outDir, long seed, int clips, int frames, int size, IProgress<(int done, int total)>? progress = null)
    {
        if (clips < 1) throw new ArgumentException($"a demo corpus needs at least 1 clip, got {clips}");
        var o = Validate(new DemoOptions { Frames = frames, Size = size }, AllClasses.Count);
        var captions = new string[clips];
        // The job's Class slot carries the clip index: the scene, not a class, decides what is drawn.
        var jobs = Enumerable.Range(0, clips).Select(i => (Path: Path.Combine(outDir, "clips", $"clip-{i:D4}.mp4"), Class: i, Purpose: $"corpus/{i}")).ToList();
        RenderAll(jobs, (job, rng) =>
        {
            var scene = CorpusScene(rng);
            captions[job.Class] = Caption(scene);
            return RenderScene(scene, rng, o);
        }, seed, o, progress);
        var file = Path.Combine(outDir, CorpusCaptions);
        AtomicFile.WriteAllText(file, "path,caption\n" + string.Concat(jobs.Select(j => $"{Path.GetRelativePath(outDir, j.Path)},{Csv.Quote(captions[j.Class])}\n")));
        return file;
    }

    static Scene CorpusScene(Random rng)
    {
        float U(double a, double b) => (float)(a + rng.NextDouble() * (b - a));
        bool Chance(double p) => rng.NextDouble() < p;
        float polyp = Chance(0.4) ? U(0.4, 1.0) : 0;
        float dye = Chance(polyp > 0 ? 0.45 : 0.15) ? U(0.2, 0.6) : 0;
        float blood = Chance(0.3) ? U(0.3, 1.0) : 0;
        float erosions = Chance(0.3) ? U(0.3, 1.0) : 0;
        return new Scene(U(0, 1), U(0, 1), U(0, 1), U(0.2, 1.2), U(0, 1.6), blood, polyp, dye, erosions,
            Approach: polyp > 0 && Chance(0.5), BleedMotion: blood > 0.4 && Chance(0.6));
    }

    /// <summary>What the scene shows, in the words a clinician's caption might use (the demo's class prompts use the same vocabulary).</summary>
    static string Caption(Scene s)
    {
        var parts = new List<string>
        {
            s.Redness > 0.6 ? (s.Granular > 0.6 ? "red swollen granular mucosa" : "red swollen mucosa")
                : s.Granular > 0.6 ? "granular pink mucosa" : "smooth pink mucosa",
        };
        if (s.Vessels > 0.6) parts.Add("fine red blood vessels");
        else if (s.Vessels < 0.25) parts.Add("no visible vessels");
        if (s.Erosions > 0) parts.Add("pale erosion spots");
        if (s.Polyp > 0) parts.Add(s.Dye > 0 ? "a raised polyp lifted by blue dye injection" : "a round raised pale polyp with a shiny highlight");
        else if (s.Dye > 0) parts.Add("blue-stained mucosa");
        if (s.Blood > 0) parts.Add(s.BleedMotion ? "a dark red pool of blood spreading, blood streaming downwards" : "a small dark red pool of blood");
        parts.Add(s.Approach ? "the scope approaching it" : s.Shake > 1.0 ? "the scope shaking" : s.Speed < 0.5 ? "the scope drifting slowly" : "the scope moving");
        return "endoscopy: " + string.Join(", ", parts);
    }

    static DemoOptions Validate(DemoOptions o, int maxClasses)
    {
        if (o.Classes < 2 || o.Classes > maxClasses) throw new ArgumentException($"demo classes must be 2..{maxClasses}, got {o.Classes}");
        if (o.Frames < 1 || o.Size < 8) throw new ArgumentException($"demo clips need >= 1 frame and >= 8 px, got {o.Frames} frames of {o.Size} px");
        if (o.ScarceClasses < 0 || o.ScarceClasses >= o.Classes) throw new ArgumentException($"scarce classes must be 0..{o.Classes - 1}");
        if (o.TrainPerClass < 1 || o.ScarceTrainPerClass < 1 || o.ScarceTrainPerClass > o.TrainPerClass || o.ValPerClass < 1 || o.TestPerClass < 1)
            throw new ArgumentException("demo clip counts must be >= 1 and scarce train count <= train count");
        return o;
    }

    // Each clip draws from its own seeded stream, so the output does not depend on thread scheduling.
    static void RenderAll(List<(string Path, int Class, string Purpose)> jobs, Func<(string Path, int Class, string Purpose), Random, float[]> render,
        long seed, DemoOptions o, IProgress<(int done, int total)>? progress)
    {
        int done = 0;
        try
        {
            Parallel.ForEach(jobs, job =>
            {
                var frames = render(job, Seeds.Random(seed, job.Purpose));
                VideoIO.WriteMp4(job.Path, ToClip(frames, o.Frames, o.Size), Fps);
                progress?.Report((Interlocked.Increment(ref done), jobs.Count));
            });
        }
        catch (AggregateException e) when (e.InnerExceptions[0] is IOException write)
        {
            // One write that failed, as itself (it names the file), not wrapped in the parallel loop's aggregate.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(write);
        }
    }

    static Clip ToClip(float[] rgb, int frames, int size)
    {
        var px = new byte[rgb.Length];
        for (int i = 0; i < px.Length; i++) px[i] = (byte)Math.Clamp(MathF.Round(rgb[i]), 0, 255);
        return new Clip(px, frames, size, size);
    }

    // ---------------------------------------------------------------- endoscopy-like classes

    /// <summary>What one endoscopy-like scene shows, each in [0, ~1] (speed and shake up to ~1.6); Approach: the
    /// scope moves towards the lesion; BleedMotion: the blood pool grows and streams downwards.</summary>
    sealed record Scene(float Redness, float Granular, float Vessels, float Speed, float Shake, float Blood, float Polyp, float Dye,
        float Erosions, bool Approach, bool BleedMotion);

    // Class tendencies, each with per-clip spread. The two common mucosa classes differ in everything their prompts name
    // (colour, texture, vessels, erosions, scope shake) by margins that still show at 32×32, so 30 clips learn them well;
    // the scarce polyp classes overlap with each other (faint dye on some polyps) and with bumps elsewhere, so they stay
    // hard with few clips.
    static Scene ClassScene(int cls, Random rng)
    {
        float U(double a, double b) => (float)(a + rng.NextDouble() * (b - a));
        bool Chance(double p) => rng.NextDouble() < p;
        var (redness, granular, vessels, speed, shake) = cls switch
        {
            0 => (U(0.0, 0.3), U(0.0, 0.3), U(0.6, 1.0), U(0.2, 0.7), U(0.0, 0.3)),
            1 => (U(0.6, 1.0), U(0.6, 1.0), U(0.0, 0.2), U(0.4, 1.2), U(0.8, 1.6)),
            2 => (U(0.1, 0.6), U(0.0, 0.5), U(0.1, 0.8), U(0.2, 0.9), U(0.0, 1.0)),
            _ => (U(0.0, 0.5), U(0.0, 0.5), U(0.2, 0.9), U(0.2, 0.8), U(0.0, 0.8)),
        };
        float blood = cls == 2 ? U(0.5, 1.0) : Chance(0.12) ? U(0.1, 0.35) : 0;      // small bleeds appear elsewhere too
        float polyp = cls >= 3 ? U(0.6, 1.0) : Chance(0.1) ? U(0.2, 0.45) : 0;        // small bumps appear elsewhere too
        float dye = cls == 4 ? U(0.2, 0.6) : cls == 3 && Chance(0.3) ? U(0.0, 0.2) : 0;   // faint dye on some polyps
        float erosions = cls == 1 ? U(0.5, 1.0) : Chance(0.15) ? U(0.1, 0.4) : 0;
        return new Scene(redness, granular, vessels, speed, shake, blood, polyp, dye, erosions, Approach: cls >= 3, BleedMotion: cls == 2);
    }

    static float[] RenderEndoscopy(int cls, Random rng, DemoOptions o) => RenderScene(ClassScene(cls, rng), rng, o);

    static float[] RenderScene(Scene scene, Random rng, DemoOptions o)
    {
        int n = o.Size, T = o.Frames;
        float U(double a, double b) => (float)(a + rng.NextDouble() * (b - a));
        var (redness, granular, vessels, speed, shake) = (scene.Redness, scene.Granular, scene.Vessels, scene.Speed, scene.Shake);
        var (blood, polyp, dye, erosions) = (scene.Blood, scene.Polyp, scene.Dye, scene.Erosions);

        int margin = (int)MathF.Ceiling(n * 0.6f);
        int canvas = n + 2 * margin;
        var tex = Noise(canvas, rng, octaves: 4, persistence: 0.35f + 0.5f * granular);
        var vesselMap = Vessels(canvas, rng, count: (int)(2 + 8 * vessels), strength: vessels);
        // Specular reflections happen in every class, so a highlight alone does not mean "polyp".
        var glints = Enumerable.Range(0, rng.Next(4)).Select(_ => (X: U(0, canvas), Y: U(0, canvas), I: U(0.3, 1.0))).ToArray();
        var spots = Enumerable.Range(0, (int)(erosions * 12)).Select(_ => (X: U(0, canvas), Y: U(0, canvas), R: U(0.03, 0.07) * n)).ToArray();

        var baseColour = new[] { U(175, 215) + 25 * redness, U(95, 130) - 45 * redness, U(85, 120) - 35 * redness };
        float brightness = U(0.75f, 1.15f), noise = U(2, 9);
        float angle = U(0, MathF.Tau), vx = MathF.Cos(angle) * speed * n / 24, vy = MathF.Sin(angle) * speed * n / 24;
        float ox0 = margin + U(-margin / 3f, margin / 3f), oy0 = margin + U(-margin / 3f, margin / 3f);
        float lesionX = canvas / 2f + U(-n / 5f, n / 5f), lesionY = canvas / 2f + U(-n / 5f, n / 5f);
        float polypR = n * U(0.14f, 0.24f), approach = scene.Approach ? U(0.0f, 0.6f) : 0;
        float bloodR = n * U(0.12f, 0.3f), bloodGrow = scene.BleedMotion ? U(0.2f, 0.8f) : 0, streak = scene.BleedMotion ? U(0.3f, 1.0f) : 0;
        float scopeR = n * U(0.46f, 0.56f);

        var frames = new float[T * n * n * 3];
        for (int t = 0; t < T; t++)
        {
            float time = T == 1 ? 0 : (float)t / (T - 1);
            float ox = ox0 + vx * t + shake * U(-1.5f, 1.5f), oy = oy0 + vy * t + shake * U(-1.5f, 1.5f);
            ox = Math.Clamp(ox, 0, canvas - n - 1); oy = Math.Clamp(oy, 0, canvas - n - 1);
            float zoom = 1 + approach * time;
            float pr = polypR * zoom, br = bloodR * (1 + bloodGrow * time);
            for (int y = 0; y < n; y++)
                for (int x = 0; x < n; x++)
                {
                    float cx = ox + x, cy = oy + y;
                    float shade = 0.7f + 0.6f * Bilinear(tex, canvas, cx, cy);
                    float vessel = Bilinear(vesselMap, canvas, cx, cy);
                    float r = baseColour[0] * shade - 60 * vessel, g = baseColour[1] * shade - 55 * vessel, b = baseColour[2] * shade - 40 * vessel;

                    foreach (var s in spots)
                    {
                        float d = Dist(cx, cy, s.X, s.Y) / s.R;
                        if (d < 1) { float w = (1 - d) * erosions; r += (235 - r) * w; g += (225 - g) * w; b += (200 - b) * w; }
                    }
                    if (blood > 0)
                    {
                        float d = Dist(cx, cy, lesionX + n * 0.2f, lesionY - n * 0.1f) / br;
                        float flow = streak * MathF.Max(0, 1 - MathF.Abs(cx - lesionX - n * 0.2f) / (n * 0.06f)) * (cy > lesionY && cy - lesionY < n * 0.6f * time + 2 ? 1 : 0);
                        float w = blood * MathF.Min(1, MathF.Max(Smooth(1 - d), flow));
                        r += (95 - r) * w; g += (10 - g) * w; b += (15 - b) * w;
                    }
                    if (polyp > 0)
                    {
                        float d = Dist(cx, cy, lesionX, lesionY) / pr;
                        if (d < 1.6f && dye > 0)
                        {
                            float w = dye * Smooth(1.6f - d);
                            r += (95 - r) * w; g += (105 - g) * w; b += (175 - b) * w;
                        }
                        if (d is > 0.85f and < 1.15f) { float shadow = 0.3f * polyp * (1 - MathF.Abs(d - 1) / 0.15f); r *= 1 - shadow; g *= 1 - shadow; b *= 1 - shadow; }
                        if (d < 1)
                        {
                            float dome = MathF.Sqrt(1 - d * d) * polyp;
                            float lx = (cx - lesionX) / pr + 0.35f, ly = (cy - lesionY) / pr + 0.35f;
                            float highlight = MathF.Exp(-(lx * lx + ly * ly) * 18) * polyp * 0.7f;
                            r = r * (1 - 0.5f * dome) + 230 * 0.5f * dome + 255 * highlight;
                            g = g * (1 - 0.5f * dome) + 170 * 0.5f * dome + 255 * highlight;
                            b = b * (1 - 0.5f * dome) + 150 * 0.5f * dome + 255 * highlight;
                        }
                    }
                    foreach (var gl in glints)
                    {
                        float d2 = ((cx - gl.X) * (cx - gl.X) + (cy - gl.Y) * (cy - gl.Y)) / (n * n * 0.0015f);
                        if (d2 < 6) { float w = MathF.Exp(-d2) * gl.I; r += (255 - r) * w; g += (255 - g) * w; b += (255 - b) * w; }
                    }
                    // Round scope field: light falls off towards the rim, black outside.
                    float rim = Dist(x, y, n / 2f - 0.5f, n / 2f - 0.5f) / scopeR;
                    float light = rim >= 1 ? 0 : brightness * (1 - 0.55f * rim * rim);
                    int o3 = ((t * n + y) * n + x) * 3;
                    frames[o3] = r * light + noise * Gauss(rng);
                    frames[o3 + 1] = g * light + noise * Gauss(rng);
                    frames[o3 + 2] = b * light + noise * Gauss(rng);
                }
        }
        return frames;
    }

    // ---------------------------------------------------------------- general (non-medical) classes

    static float[] RenderGeneral(int cls, Random rng, DemoOptions o)
    {
        int n = o.Size, T = o.Frames;
        float U(double a, double b) => (float)(a + rng.NextDouble() * (b - a));
        float[] Colour() => [U(30, 255), U(30, 255), U(30, 255)];
        var fg = Colour(); var bg = Colour(); var bg2 = Colour();
        float angle = U(0, MathF.Tau), speed = U(0.5f, 2.5f) * n / 32;
        float vx = MathF.Cos(angle) * speed, vy = MathF.Sin(angle) * speed;
        float px = U(0.2f, 0.8f) * n, py = U(0.2f, 0.8f) * n, size = U(0.1f, 0.25f) * n;
        float period = U(0.15f, 0.35f) * n;
        var dots = Enumerable.Range(0, 6 + rng.Next(12)).Select(_ => (X: U(0, n), Y: U(0, n), Phase: U(0, MathF.Tau), C: Colour())).ToArray();

        var frames = new float[T * n * n * 3];
        for (int t = 0; t < T; t++)
        {
            // Bouncing objects reflect off the borders.
            float bx = Bounce(px + vx * t, size, n), by = Bounce(py + vy * t, size, n);
            for (int y = 0; y < n; y++)
                for (int x = 0; x < n; x++)
                {
                    float[] c = cls switch
                    {
                        0 => Dist(x, y, bx, by) < size ? fg : bg,
                        1 => (((x * MathF.Cos(angle) + y * MathF.Sin(angle) + speed * 2 * t) / period) % 2 + 2) % 2 < 1 ? fg : bg,
                        2 => MathF.Abs(x - bx) < size && MathF.Abs(y - by) < size ? fg : Lerp(bg, bg2, (float)y / n),
                        3 => Lerp(bg, fg, 0.5f + 0.5f * MathF.Sin((x * MathF.Cos(angle) + y * MathF.Sin(angle)) / n * MathF.PI + t * speed / n * 2)),
                        _ => Twinkle(dots, x, y, t, n),
                    };
                    int o3 = ((t * n + y) * n + x) * 3;
                    frames[o3] = c[0]; frames[o3 + 1] = c[1]; frames[o3 + 2] = c[2];
                }
        }
        return frames;
    }

    static float[] Twinkle((float X, float Y, float Phase, float[] C)[] dots, int x, int y, int t, int n)
    {
        foreach (var d in dots)
        {
            float on = 0.5f + 0.5f * MathF.Sin(d.Phase + t * 0.9f);
            if (Dist(x, y, d.X, d.Y) < n / 20f + 1) return [d.C[0] * on + 10, d.C[1] * on + 10, d.C[2] * on + 10];
        }
        return [10, 10, 18];
    }

    static float Bounce(float p, float size, int n)
    {
        float lo = size, span = Math.Max(1, n - 2 * size);
        float q = ((p - lo) % (2 * span) + 2 * span) % (2 * span);
        return lo + (q < span ? q : 2 * span - q);
    }

    static float[] Lerp(float[] a, float[] b, float w) => [a[0] + (b[0] - a[0]) * w, a[1] + (b[1] - a[1]) * w, a[2] + (b[2] - a[2]) * w];

    // ---------------------------------------------------------------- texture helpers

    /// <summary>Value noise in [0,1] on a size×size canvas: octaves of bilinearly upsampled random grids.</summary>
    static float[] Noise(int size, Random rng, int octaves, float persistence)
    {
        var result = new float[size * size];
        float amplitude = 1, total = 0;
        for (int oct = 0, cells = 3; oct < octaves; oct++, cells *= 2)
        {
            var grid = new float[(cells + 1) * (cells + 1)];
            for (int i = 0; i < grid.Length; i++) grid[i] = (float)rng.NextDouble();
            for (int y = 0; y < size; y++)
                for (int x = 0; x < size; x++)
                    result[y * size + x] += amplitude * Bilinear(grid, cells + 1, (float)x * cells / size, (float)y * cells / size);
            total += amplitude;
            amplitude *= persistence;
        }
        for (int i = 0; i < result.Length; i++) result[i] /= total;
        return result;
    }

    /// <summary>Thin branching lines in [0,1] drawn by random walks.</summary>
    static float[] Vessels(int size, Random rng, int count, float strength)
    {
        var map = new float[size * size];
        for (int v = 0; v < count; v++)
        {
            float x = (float)rng.NextDouble() * size, y = (float)rng.NextDouble() * size, dir = (float)rng.NextDouble() * MathF.Tau;
            for (int step = 0; step < size * 2; step++)
            {
                dir += ((float)rng.NextDouble() - 0.5f) * 0.6f;
                x += MathF.Cos(dir); y += MathF.Sin(dir);
                int ix = (int)x, iy = (int)y;
                if (ix < 0 || iy < 0 || ix >= size || iy >= size) break;
                map[iy * size + ix] = Math.Max(map[iy * size + ix], strength);
            }
        }
        return map;
    }

    static float Bilinear(float[] grid, int width, float x, float y)
    {
        int height = grid.Length / width;
        x = Math.Clamp(x, 0, width - 1.001f); y = Math.Clamp(y, 0, height - 1.001f);
        int x0 = (int)x, y0 = (int)y;
        float fx = x - x0, fy = y - y0;
        float a = grid[y0 * width + x0], b = grid[y0 * width + x0 + 1], c = grid[(y0 + 1) * width + x0], d = grid[(y0 + 1) * width + x0 + 1];
        return (a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy;
    }

    static float Dist(float x0, float y0, float x1, float y1) => MathF.Sqrt((x0 - x1) * (x0 - x1) + (y0 - y1) * (y0 - y1));
    static float Smooth(float v) => Math.Clamp(v * 3, 0, 1);

    static float Gauss(Random rng)
    {
        double u1 = 1 - rng.NextDouble(), u2 = rng.NextDouble();
        return (float)(Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
    }
}
