// QuickStart: a host with Symphainy on the embedded defaults. It starts the platform, prints the planes
// that registered, and stops. Run it with: dotnet run --project samples/QuickStart
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Symphainy.Hosting;
using Symphainy.Wal;

var builder = Host.CreateApplicationBuilder(args);
builder.Logging.AddSymphainyJsonConsole();
builder.Services.AddSymphainy();

using var host = builder.Build();
await host.StartAsync();

Console.WriteLine("Registered planes:");
foreach (var plane in host.Services.GetServices<PlaneDescriptor>())
{
    Console.WriteLine($"  {plane.Name,-12} {plane.Assembly} {plane.Version}: {plane.Summary}");
}

var wal = host.Services.GetRequiredService<IWriteAheadLog>();
Console.WriteLine($"Write-ahead log: {wal.GetType().Name}, next position {wal.NextPosition}");

await host.StopAsync();
