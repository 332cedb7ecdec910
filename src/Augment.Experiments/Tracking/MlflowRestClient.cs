using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Augment.Experiments.Tracking;

/// <summary>How the REST tracker talks to the server. <see cref="FromEnvironment"/> reads MLflow's own variables.</summary>
public sealed record MlflowRestOptions
{
    /// <summary>Tries per request, the first included; 5xx, 429, timeouts and refused connections are retried.</summary>
    public int MaxAttempts { get; init; } = 4;
    /// <summary>Wait before the second try; doubles after each failed try (a server's Retry-After wins, up to 30 s).</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(120);
    /// <summary>Sent as "Authorization: Bearer ..." (MLFLOW_TRACKING_TOKEN).</summary>
    public string? Token { get; init; }
    /// <summary>Sent as HTTP Basic auth when no token is set (MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD).</summary>
    public string? Username { get; init; }
    public string? Password { get; init; }

    public static MlflowRestOptions FromEnvironment() => new()
    {
        Token = NonEmpty(Environment.GetEnvironmentVariable("MLFLOW_TRACKING_TOKEN")),
        Username = NonEmpty(Environment.GetEnvironmentVariable("MLFLOW_TRACKING_USERNAME")),
        Password = NonEmpty(Environment.GetEnvironmentVariable("MLFLOW_TRACKING_PASSWORD")),
        RequestTimeout = int.TryParse(Environment.GetEnvironmentVariable("MLFLOW_HTTP_REQUEST_TIMEOUT"), out var s) && s > 0
            ? TimeSpan.FromSeconds(s) : TimeSpan.FromSeconds(120),
    };

    static string? NonEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;
}

/// <summary>An MLflow server refused a request (4xx) or kept failing (5xx, timeouts) after every retry.</summary>
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

/// <summary>JSON over HTTP with MLflow's error body and bounded exponential backoff; synchronous like the tracker interface.</summary>
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
        if (options.MaxAttempts < 1) throw new ArgumentOutOfRangeException(nameof(options), "MaxAttempts must be at least 1.");
        TrackingUri = uri;
        _options = options;
        _http = new HttpClient { Timeout = options.RequestTimeout };
    }

    public JsonNode? Get(string apiPath, string query) =>
        Send(HttpMethod.Get, apiPath, () => new HttpRequestMessage(HttpMethod.Get, Url(apiPath) + "?" + query));

    public JsonNode? Post(string apiPath, JsonObject body)
    {
        var json = body.ToJsonString();
        return Send(HttpMethod.Post, apiPath, () => new HttpRequestMessage(HttpMethod.Post, Url(apiPath))
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        });
    }

    public void PutFile(Uri url, string localPath, string contentType) =>
        Send(HttpMethod.Put, url.AbsolutePath, () =>
        {
            var content = new StreamContent(File.OpenRead(localPath));
            content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
            return new HttpRequestMessage(HttpMethod.Put, url) { Content = content };
        });

    string Url(string apiPath) => TrackingUri.AbsoluteUri.TrimEnd('/') + "/" + apiPath.TrimStart('/');

    // The request is rebuilt for every try: a sent HttpRequestMessage (and its file stream) cannot be sent again.
    JsonNode? Send(HttpMethod method, string apiPath, Func<HttpRequestMessage> makeRequest)
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
                    if (attempt < _options.MaxAttempts) { Backoff(attempt, null); continue; }
                    throw new MlflowRestException(
                        $"{endpoint} on {TrackingUri}: {what} (gave up after {attempt} tries).", endpoint, null, null, e);
                }
            }
            using (response)
            {
                var text = ReadBody(response);
                if (response.IsSuccessStatusCode)
                    return text.Length == 0 ? null : JsonNode.Parse(text);
                var status = (int)response.StatusCode;
                if ((status >= 500 || status == 429) && attempt < _options.MaxAttempts)
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

    void Backoff(int attempt, TimeSpan? retryAfter)
    {
        var wait = _options.InitialBackoff * Math.Pow(2, attempt - 1);
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
