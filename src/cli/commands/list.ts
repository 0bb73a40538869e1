// `evercycle-gateway list`: the APIs a running gateway serves (GET /api/list), as a table
// or, with --json, as the array the gateway answered.
import { Command } from 'commander';
import { runCommand } from '../errors.js';
import { GatewayClient, gatewayTarget } from '../gateway-client.js';
import { gatewayOption } from '../options.js';
import { printJson, writeOutput } from '../output.js';
import { renderTable } from '../table.js';
import { usageErrorsExitTwo } from '../usage.js';

export function listCommand(): Command {
  return usageErrorsExitTwo(new Command('list'))
    .description('list the APIs the gateway serves: name, method, Evercycle path, description')
    .option('--json', 'print the JSON array instead of a table')
    .addOption(gatewayOption())
    .addHelpText('after', '\nThe table fits the terminal width; piped, lines are never cut.')
    .action((opts: { json?: boolean; gateway?: string }) =>
      runCommand(async () => {
        const client = new GatewayClient(gatewayTarget(opts.gateway));
        try {
          const apis = await client.listApis();
          if (opts.json) {
            await printJson(apis);
            return;
          }
          if (apis.length === 0) {
            process.stderr.write('the gateway serves no APIs\n');
            return;
          }
          const width = process.stdout.isTTY ? process.stdout.columns || 80 : undefined;
          await writeOutput(renderTable(['NAME', 'METHOD', 'PATH', 'DESCRIPTION'], apis.map((a) => [a.name, a.method, a.path, a.description]), { width }));
        } finally {
          await client.close();
        }
      }),
    );
}
