using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Symphainy.Agents;
using Symphainy.Intake;
using Symphainy.Realms;
using Symphainy.Sagas;
using Symphainy.Samples.Realms.Content;
using Symphainy.Samples.Realms.Insights;
using Symphainy.Samples.Realms.Outcomes;

namespace Symphainy.Samples.Realms.Tests;

/// <summary>A host with the three sample realms on the embedded defaults (file log, SQLite graph, file blobs) in a data directory.</summary>
internal sealed class RealmHost : IAsyncDisposable
{
    public static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    private readonly IHost _host;

    private RealmHost(IHost host, TenantId tenant)
    {
        _host = host;
        Tenant = tenant;
    }

    public TenantId Tenant { get; }

    public IServiceProvider Services => _host.Services;

    public ISagaEngine Engine => Services.GetRequiredService<ISagaEngine>();

    public static async Task<RealmHost> StartAsync(string dataDirectory, TenantId tenant, IChatClient chat)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = dataDirectory });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Symphainy:DataDirectory"] = dataDirectory });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(chat);
        builder.Services.AddSymphainy(symphainy => symphainy.AddRealm<ContentRealm>().AddRealm<InsightsRealm>().AddRealm<OutcomesRealm>());
        var host = builder.Build();
        await host.StartAsync();
        return new RealmHost(host, tenant);
    }

    public async Task<SagaId> SubmitAsync(string type, object payload) =>
        (await Services.GetRequiredService<IIntentIntake>().SubmitAsync(new Intent(type, Tenant, JsonSerializer.SerializeToElement(payload, Web)))).Execution;

    public async Task<T> RunAsync<T>(string type, object payload)
    {
        var end = await Engine.WaitForEndAsync(Tenant, await SubmitAsync(type, payload)).WaitAsync(TimeSpan.FromSeconds(60));
        end.State.Should().Be(SagaState.Completed, $"{type} should complete ({end.Error?.Code}: {end.Error?.Message})");
        return end.Output!.Value.Deserialize<T>(Web)!;
    }

    public Task StopAsync() => _host.StopAsync();

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}

/// <summary>The offline chat client, counting the calls made to it, per agent; optionally holding one agent's calls at a gate.</summary>
internal sealed class CountingChatClient(string? holdWhenAsked = null) : IChatClient
{
    private readonly LocalChatClient _local = new();
    private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Dictionary<string, int> _calls = new(StringComparer.Ordinal);

    /// <summary>Completes when a held call arrived.</summary>
    public Task Entered => _entered.Task;

    public int CallsFor(string question)
    {
        lock (_calls)
        {
            return _calls.GetValueOrDefault(question);
        }
    }

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var conversation = messages.ToList();
        var question = conversation.LastOrDefault(m => m.Role == ChatRole.User)?.Text ?? "";
        lock (_calls)
        {
            _calls[question] = _calls.GetValueOrDefault(question) + 1;
        }

        if (holdWhenAsked is not null && question == holdWhenAsked)
        {
            _entered.TrySetResult();
            await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken); // until the host stops
        }

        return await _local.GetResponseAsync(conversation, options, cancellationToken);
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        _local.GetStreamingResponseAsync(messages, options, cancellationToken);

    public object? GetService(Type serviceType, object? serviceKey = null) => _local.GetService(serviceType, serviceKey);

    public void Dispose() => _local.Dispose();
}
