using Microsoft.Extensions.AI;
using Symphainy.Agents;

namespace Symphainy.Samples.Realms.Tests;

/// <summary>The offline chat client, counting the calls made to it, per agent; optionally holding one agent's first call until the host goes away.</summary>
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

        if (holdWhenAsked is not null && question == holdWhenAsked && _entered.TrySetResult())
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken); // until the host stops
        }

        return await _local.GetResponseAsync(conversation, options, cancellationToken);
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        _local.GetStreamingResponseAsync(messages, options, cancellationToken);

    public object? GetService(Type serviceType, object? serviceKey = null) => _local.GetService(serviceType, serviceKey);

    public void Dispose() => _local.Dispose();
}
