using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Augment.Tracking;

/// <summary>How the REST tracker talks to the server. <see cref="FromEnvironment"/> reads MLflow's own variables.</summary>
public sealed record MlflowRestOptions
{
    public const string MaxRetriesVariable = "MLFLOW_HTTP_REQUEST_MAX_RETRIES";
    public const string BackoffFactorVariable = "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR";
    public const string TimeoutVariable = "MLFLOW_HTTP_REQUEST_TIMEOUT";

    /// <summary>Retries after the first try (MLflow's MLFLOW_HTTP_REQUEST_MAX_RETRIES); see <see cref="IsRetryable"/>.</summary>
    public int MaxRetries { get; init; } = 7;
    /// <summary>
    /// urllib3's backoff, as MLflow's client uses it: the first retry at once, retry k after factor × 2^(k-1), at most
    /// 120 s. 0.5 s by default, so 7 retries wait 1+2+4+8+16+32 = 63 s and ride out a server restart of about a minute
    /// (MLflow's own default factor of 2 waits about 4 minutes). A server's Retry-After wins, up to 30 s.
    /// </summary>
    public TimeSpan BackoffFactor { get; init; } = TimeSpan.FromSeconds(0.5);
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(120);
    /// <summary>Sent as "Authorization: Bearer ..." (MLFLOW_TRACKING_TOKEN).</summary>
    public string? Token { get; init; }
    /// <summary>Sent as HTTP Basic auth when no token is set (MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD).</summary>
    public string? Username { get; init; }
    public string? Password { get; init; }

    static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(120);

    /// <summary>The wait before retry number <paramref name="retry"/> (1-based).</summary>
    public TimeSpan Backoff(int retry)
    {
        if (retry <= 1) return TimeSpan.Zero;
        var wait = BackoffFactor * Math.Pow(2, retry - 1);
        return wait < MaxBackoff ? wait : MaxBackoff;
    }

    /// <summary>MLflow's transient status codes; any other 4xx or 5xx is an answer that a retry would not change.</summary>
    public static bool IsRetryable(int status) => status is 408 or 429 or 500 or 502 or 503 or 504;

    /// <summary>Reads MLflow's variables; one that is set but not a number in range throws an ArgumentException naming it.</summary>
    public static MlflowRestOptions FromEnvironment()
    {
        var defaults = new MlflowRestOptions();
        return new()
        {
            Token = NonEmpty(Environment.GetEnvironmentVariable("MLFLOW_TRACKING_TOKEN")),
            Username = NonEmpty(Environment.GetEnvironmentVariable("MLFLOW_TRACKING_USERNAME")),
            Password = NonEmpty(Environment.GetEnvironmentVariable("MLFLOW_TRACKING_PASSWORD")),
            MaxRetries = (int)(Number(MaxRetriesVariable, 0, 100, integer: true) ?? defaults.MaxRetries),
            BackoffFactor = Number(BackoffFactorVariable, 0, 120, integer: false) is { } f ? TimeSpan.FromSeconds(f) : defaults.BackoffFactor,
            RequestTimeout = Number(TimeoutVariable, 1, 86_400, integer: false) is { } t ? TimeSpan.FromSeconds(t) : defaults.RequestTimeout,
        };
    }

    static double? Number(string variable, double min, double max, bool integer)
    {
        var text = NonEmpty(Environment.GetEnvironmentVariable(variable));
        if (text is null) return null;
        if (!double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v)
            || v < min || v > max || (integer && v != Math.Floor(v)))
            throw new ArgumentException($"{variable}='{text}' is not {(integer ? "an integer" : "a number")} from {min} to {max}.");
        return v;
    }

    static string? NonEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;
}

/// <summary>An MLflow server refused a request (4xx) or kept failing (5xx, timeouts, refused connections) after every retry.</summary>
public sealed class MlflowRestException(string message, string endpoint, HttpStatusCode? statusCode, string? errorCode,
    Exception? inner = null) : Exception(message, inner)
{
    /// <summary>Method and path, e.g. "POST /api/2.0/mlflow/runs/log-batch".</summary>
    public string Endpoint { get; } = endpoint;
    /// <summary>Null when no response arrived (timeout, refused connection).</summary>
    public HttpStatusCode? StatusCode { get; } = statusCode;
    /// <summary>MLflow's error_code, e.g. RESOURCE_DOES_NOT_EXIST or INVALID_PARAMETER_VALUE.</summary>
    public string? ErrorCode { get; } = errorCode;
}

/// <summary>JSON over HTTP with MLflow's error body and MLflow's retries (see <see cref="MlflowRestOptions"/>); synchronous like the tracker interface.</summary>
sealed class MlflowRestClient : IDisposable
{
    readonly HttpClient _http;
    readonly MlflowRestOptions _options;

    /// <summary>The tracking URI without a trailing slash; endpoints are appended to it.</summary>
    public Uri TrackingUri { get; }

    public MlflowRestClient(string trackingUri, MlflowRestOptions options)
    {
        if (!Uri.TryCreate(trackingUri.TrimEnd('/'), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new ArgumentException($"'{trackingUri}' is not an http(s):// MLflow tracking URI.", nameof(trackingUri));
        if (options.MaxRetries < 0) throw new ArgumentOutOfRangeException(nameof(options), "MaxRetries must not be negative.");
        TrackingUri = uri;
        _options = options;
        _http = new HttpClient { Timeout = options.RequestTimeout };
    }

    /// <param name="retry">False for a single try (the preflight check, which should fail at once).</param>
    public JsonNode? Get(string apiPath, string query, bool retry = true) =>
        Send(HttpMethod.Get, apiPath, () => new HttpRequestMessage(HttpMethod.Get, Url(apiPath) + "?" + query), retry ? _options.MaxRetries : 0);

    public JsonNode? Post(string apiPath, JsonObject body)
    {
        var json = body.ToJsonString();
        return Send(HttpMethod.Post, apiPath, () => new HttpRequestMessage(HttpMethod.Post, Url(apiPath))
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        }, _options.MaxRetries);
    }

    public void PutFile(Uri url, string localPath, string contentType) =>
        Send(HttpMethod.Put, url.AbsolutePath, () =>
        {
            var content = new StreamContent(File.OpenRead(localPath));
            content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
            return new HttpRequestMessage(HttpMethod.Put, url) { Content = content };
        }, _options.MaxRetries);

    string Url(string apiPath) => TrackingUri.AbsoluteUri.TrimEnd('/') + "/" + apiPath.TrimStart('/');

    // The request is rebuilt for every try: a sent HttpRequestMessage (and its file stream) cannot be sent again.
    JsonNode? Send(HttpMethod method, string apiPath, Func<HttpRequestMessage> makeRequest, int maxRetries)
    {
        var endpoint = $"{method} {"/" + apiPath.TrimStart('/')}";
        for (var attempt = 1; ; attempt++)
        {
            HttpResponseMessage response;
            using (var request = makeRequest())
            {
                Authorize(request);
                try
                {
                    response = _http.Send(request);
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    var what = e is TaskCanceledException ? $"no answer within {_options.RequestTimeout.TotalSeconds:0} s" : e.Message;
                    if (attempt <= maxRetries) { Backoff(attempt, null); continue; }
                    var retried = attempt > 1 ? $" (gave up after {attempt} tries)" : "";
                    throw new MlflowRestException($"{endpoint} on {TrackingUri}: {what}{retried}.", endpoint, null, null, e);
                }
            }
            using (response)
            {
                var text = ReadBody(response);
                if (response.IsSuccessStatusCode)
                    return text.Length == 0 ? null : JsonNode.Parse(text);
                var status = (int)response.StatusCode;
                if (MlflowRestOptions.IsRetryable(status) && attempt <= maxRetries)
                {
                    Backoff(attempt, response.Headers.RetryAfter?.Delta);
                    continue;
                }
                throw Failure(endpoint, response.StatusCode, text, attempt);
            }
        }
    }

    void Authorize(HttpRequestMessage request)
    {
        if (_options.Token is { } token)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        else if (_options.Username is { } user)
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{_options.Password}")));
    }

    void Backoff(int retry, TimeSpan? retryAfter)
    {
        var wait = _options.Backoff(retry);
        if (retryAfter is { } ra && ra > wait) wait = ra < TimeSpan.FromSeconds(30) ? ra : TimeSpan.FromSeconds(30);
        Thread.Sleep(wait);
    }

    static string ReadBody(HttpResponseMessage response)
    {
        using var reader = new StreamReader(response.Content.ReadAsStream(), Encoding.UTF8);
        return reader.ReadToEnd();
    }

    MlflowRestException Failure(string endpoint, HttpStatusCode status, string body, int attempts)
    {
        string? code = null, message = null;
        try
        {
            if (JsonNode.Parse(body) is JsonObject error)
            {
                code = (string?)error["error_code"];
                message = (string?)error["message"];
            }
        }
        catch (System.Text.Json.JsonException) { }
        message ??= body.Length > 500 ? body[..500] + "..." : body;
        var retried = attempts > 1 ? $" after {attempts} tries" : "";
        return new MlflowRestException(
            $"{endpoint} on {TrackingUri} failed with {(int)status} {status}{retried}: {code ?? "no error_code"}: {message}",
            endpoint, status, code);
    }

    public void Dispose() => _http.Dispose();
}
