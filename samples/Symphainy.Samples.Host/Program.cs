// The deployable host: one program whose role is chosen by configuration (HOST_ROLE, see samples/.env.example).
//
//   all         everything in one process (the default): intake, REST/WebSocket and the operator console, the realms'
//               workers and the Smart City; embedded defaults (file log + SQLite graph), or Redis when configured
//   runtime     intake, REST/WebSocket (/v1) and the operator console (/console); runs no saga
//   realms      a worker: runs the realms' sagas handed out through the shared log; serves health only
//   smart-city  governance without intake or workers: retention sweeps, stuck-saga detection, the state graph's
//               projection and health
//
// Every role but `all` needs a shared log: set Symphainy__Redis__ConnectionString. With Symphainy__Arango__Url set the
// state graph is on ArangoDB (one graph for every process), otherwise it is the embedded SQLite file of each process.
// Callers authenticate with the Security Guard's API keys (Symphainy__SmartCity__Security__ApiKeys__0__Id /
// __SecretHash / __Tenant).
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Symphainy;
using Symphainy.Experience;
using Symphainy.PublicWorks.Redis;
using Symphainy.Realms;
using Symphainy.Samples.Realms.Content;
using Symphainy.Samples.Realms.Insights;
using Symphainy.Samples.Realms.Outcomes;
using Symphainy.SmartCity;

var builder = WebApplication.CreateBuilder(args);
var role = (builder.Configuration["HOST_ROLE"] ?? "all").Trim().ToLowerInvariant();
string[] roles = ["all", "runtime", "realms", "smart-city"];
if (!roles.Contains(role))
{
    Console.Error.WriteLine($"HOST_ROLE '{role}' is not one of: {string.Join(", ", roles)}.");
    return 2;
}

var shared = !string.IsNullOrWhiteSpace(builder.Configuration["Symphainy:Redis:ConnectionString"]);
var arango = !string.IsNullOrWhiteSpace(builder.Configuration["Symphainy:Arango:Url"]);
if (role != "all" && !shared)
{
    Console.Error.WriteLine($"HOST_ROLE '{role}' shares its work with other processes: set Symphainy__Redis__ConnectionString (a redis-server with appendfsync always).");
    return 2;
}

if (role is "runtime" or "smart-city")
{
    builder.Configuration["Symphainy:Sagas:Execute"] = "false"; // the realms role runs the sagas
}

builder.Services.AddSymphainy(symphainy =>
{
    // Every role knows the capabilities: intake resolves and validates them, workers run them.
    symphainy.AddRealm<ContentRealm>().AddRealm<InsightsRealm>().AddRealm<OutcomesRealm>().AddSmartCity();
    if (shared)
    {
        symphainy.UseRedis();
    }

    if (arango)
    {
        symphainy.UseArangoStateGraph();
    }

    if (role is "all" or "runtime")
    {
        symphainy.AddExperience();
    }
});

var app = builder.Build();
if (role is "all" or "runtime")
{
    app.MapSymphainy();          // /v1 REST, /v1/events, /v1/health/live and /ready, /openapi/v1.json
    app.MapSymphainyConsole();   // /console
}
else
{
    app.MapHealthChecks("/v1/health/live", new HealthCheckOptions { Predicate = check => check.Tags.Contains("live") });
    app.MapHealthChecks("/v1/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") });
}

Console.WriteLine($"Symphainy host: role {role}, {(shared ? "shared log on Redis" : "embedded log")}, {(arango ? "state graph on ArangoDB" : "embedded SQLite state graph")}");
await app.RunAsync();
return 0;
