// The `citadel` command line. Exit codes: 0 success, 1 user error (with diagnostics), 2 internal failure.
import { Command, CommanderError } from 'commander';

function internalFailure(err: unknown): never {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`citadel: internal error: ${message}\n`);
  if (process.env['CITADEL_DEBUG'] && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  process.exit(2);
}

const program = new Command()
  .name('citadel')
  .description('Citadel: KasperskyOS-style secure solutions for Node.js')
  .version('0.1.0')
  .exitOverride();

// Each command's module is loaded only when that command runs, so `check` never loads the kernel.
let exitCode = 0;
const collect = (value: string, previous: string[]) => [...previous, value];
program.command('check').argument('[solution-dir]')
  .option('--kos <repo-dir>', 'check every solution of a KasperskyOS repository as it is')
  .option('-D, --define <NAME=VALUE>', 'template value for --kos (repeatable)', collect, [])
  .option('--stub-missing', 'with --kos: replace unresolved classes, modules and targets by empty stand-ins')
  .description('parse and statically check a solution (or, with --kos, a KasperskyOS repository)')
  .action(async (dir: string | undefined, opts: { kos?: string; define: string[]; stubMissing?: boolean }) => {
    const check = await import('./check.ts');
    if (opts.kos) exitCode = check.runCheckKos(opts.kos, opts.define, opts.stubMissing === true);
    else if (dir) exitCode = check.runCheck(dir);
    else { process.stderr.write('citadel: error: give a solution directory, or --kos <repo-dir>\n'); exitCode = 1; }
  });
program.command('gen').argument('<solution-dir>').option('-o, --out <dir>', 'output directory (default <solution-dir>/gen)')
  .description('generate TypeScript types, codecs, proxies and dispatchers')
  .action(async (dir: string, opts: { out?: string }) => { exitCode = (await import('./gen.ts')).runGen(dir, opts.out); });
program.command('test').argument('[solution-dir]')
  .option('--kos <repo-dir>', 'run every PAL test of a KasperskyOS repository')
  .option('-D, --define <NAME=VALUE>', 'template value for --kos (repeatable)', collect, [])
  .option('--stub-missing', 'with --kos: replace unresolved classes and modules by empty stand-ins')
  .description('run the PAL policy tests (no entities are started)')
  .action(async (dir: string | undefined, opts: { kos?: string; define: string[]; stubMissing?: boolean }) => {
    const test = await import('./test.ts');
    if (opts.kos) exitCode = test.runTestKos(opts.kos, opts.define, opts.stubMissing === true);
    else if (dir) exitCode = test.runTest(dir);
    else { process.stderr.write('citadel: error: give a solution directory, or --kos <repo-dir>\n'); exitCode = 1; }
  });
program.command('parse').argument('<file-or-dir...>').option('-D, --define <NAME=VALUE>', 'template value (repeatable)', collect, [])
  .description('syntax-check spec files one by one (templates rendered, no name resolution)')
  .action(async (inputs: string[], opts: { define: string[] }) => { exitCode = (await import('./parse.ts')).runParse(inputs, opts.define); });
program.command('keygen').option('-o, --out <dir>', 'where to write citadel.key and citadel.pub', '.')
  .description('create an Ed25519 signing key pair for images')
  .action(async (opts: { out: string }) => { exitCode = (await import('./run.ts')).runKeygen(opts.out); });
program.command('build').argument('<solution-dir>').requiredOption('-o, --out <file>', 'image file to write (.cimg)')
  .option('--key <file>', 'private signing key (default: the per-user dev key)')
  .option('--image-version <version>', 'solution version recorded in the image')
  .option('--rollback-index <n>', 'monotonic rollback index (default 0)', (v) => Number.parseInt(v, 10))
  .description('check, test, bundle and sign a solution into an image')
  .action(async (dir: string, opts: { out: string; key?: string; imageVersion?: string; rollbackIndex?: number }) => {
    exitCode = await (await import('./run.ts')).runBuild(dir, opts.out, opts.key, opts.imageVersion, opts.rollbackIndex);
  });
program.command('inspect').argument('<image>').option('--trust <pubkey>', 'trusted public key (repeatable; default: the dev key)', collect, [])
  .description('verify an image and show what it contains')
  .action(async (file: string, opts: { trust: string[] }) => { exitCode = (await import('./run.ts')).runInspect(file, opts.trust); });
program.command('run').argument('<image-or-solution-dir>')
  .option('--trust <pubkey>', 'trusted public key (repeatable; default: the dev key)', collect, [])
  .option('--state <dir>', 'rollback state directory (default ~/.citadel/state)')
  .option('--data <dir>', 'directory that relative resources.fs paths resolve against (default: cwd)')
  .description('verify an image (secure boot) and run it; a directory is built in memory with the dev key')
  .action(async (target: string, opts: { trust: string[]; state?: string; data?: string }) => {
    exitCode = await (await import('./run.ts')).runRun(target, opts);
  });
program.command('fuzz').argument('<solution-dir-or-image>')
  .option('--entity <task>', 'server task to fuzz (repeatable; default: every task with endpoints a channel reaches)', collect, [])
  .option('--time <seconds>', 'how long to fuzz, all targets together (default 10)')
  .option('--seed <n>', 'seed of the message stream (default: random, printed)')
  .option('--out <dir>', 'where case files of findings go (default ./citadel-fuzz)')
  .option('--replay <case-file>', 'replay one case file instead of fuzzing; exit 1 if it still reproduces')
  .option('--trust <pubkey>', 'trusted public key for an image (repeatable; default: the dev key)', collect, [])
  .option('--data <dir>', 'directory relative resources.fs paths resolve against (default: a scratch directory)')
  .option('--call-timeout <ms>', 'a delivered call unanswered this long is a hang (default 2000)')
  .option('--rss-limit <MiB>', 'kernel process RSS growth that counts as a finding (default 512)')
  .option('--max-findings <n>', 'stop fuzzing once there are this many findings')
  .option('--flood', 'let bursts of calls exceed the channel\'s limits.inFlight (the kernel answers Busy)')
  .option('--no-shrink', 'write findings as found, without minimising them')
  .option('--verbose', 'print the kernel log (entity output, denials, exits)')
  .description('fuzz the servers of a solution through the real kernel with IDL-derived messages and mutations')
  .action(async (target: string, opts: import('./fuzz.ts').FuzzCliOptions) => {
    exitCode = await (await import('./fuzz.ts')).runFuzzCommand(target, opts);
  });
const audit = program.command('audit').description('verify and query Secure Audit logs (a log directory, or one segment file)');
audit.command('verify').argument('<log>')
  .option('--key <audit.pub>', 'the public key checkpoints must be signed with (default: the key the log names)')
  .option('--open', 'accept a log the service has not sealed (still running, or stopped abruptly)')
  .description('check the hash chain, Merkle checkpoints and signatures; name the first bad record')
  .action(async (log: string, opts: { key?: string; open?: boolean }) => { exitCode = (await import('./audit.ts')).runAuditVerify(log, opts); });
audit.command('query').argument('<log>')
  .option('--since <time>', 'records at or after this time (ISO 8601, or ms since the epoch)')
  .option('--until <time>', 'records at or before this time')
  .option('--task <task>', 'records whose subject or object is this task')
  .option('--event <event>', 'records of this event (security event kind, app/system event, method or endpoint.method)')
  .option('--decision <granted|denied>', 'decision records with this outcome')
  .option('--kind <decision|app|system>', 'records of this kind')
  .option('--key <audit.pub>', 'the public key checkpoints must be signed with')
  .option('--json', 'one JSON record per line')
  .description('print the records that match every filter given (only records that verify)')
  .action(async (log: string, opts: import('./audit.ts').QueryCliOptions) => { exitCode = (await import('./audit.ts')).runAuditQuery(log, opts); });
program.command('init').argument('<dir>').description('create a new solution skeleton')
  .action(async (dir: string) => { exitCode = (await import('./init.ts')).runInit(dir); });

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 1);
  internalFailure(err);
}
process.exitCode = exitCode;
