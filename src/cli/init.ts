// `citadel init <dir>`: a new solution skeleton (KasperskyOS syntax) that checks clean.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const FILES: Readonly<Record<string, string>> = {
  'init.yaml': `# Processes of this solution and the IPC channels between them.
entities:
- name: app.Client
  connections:
  - target: app.Server
    id: server
- name: app.Server
`,
  'app/Greeter.idl': `// The interface the server offers.
package app.Greeter

const UInt32 MaxName = 64;

interface {
    Greet(in string<MaxName> name, out string<128> greeting);
}
`,
  'app/Server.edl': `// The server process class and its endpoints.
task class app.Server

endpoints {
    greeter : app.Greeter
}
`,
  'app/Client.edl': `// The client process class: it calls, it serves nothing.
task class app.Client
`,
  'security.psl': `// Default deny: only what is listed here may happen.
execute: kl.core.Execute

use nk.base._

use EDL Einit
use EDL kl.core.Core
use EDL app.Client
use EDL app.Server

execute { grant () }
request dst=kl.core.Core { grant () }
response src=kl.core.Core { grant () }

request src=app.Client, dst=app.Server, endpoint=greeter, method=Greet { grant () }
response src=app.Server, dst=app.Client { grant () }

// Policy tests: \`citadel test\` runs them with no entities started.
assert "only the client may greet" {
    setup {
        server <- execute dst=app.Server
        client <- execute dst=app.Client
    }
    sequence "the client greets the server" {
        grant client ~> server:greeter.Greet { name : "world" }
        grant response src=server dst=client endpoint=greeter method=Greet { greeting : "hello, world" }
    }
    sequence "the server may not call itself" {
        deny server ~> server:greeter.Greet { name : "me" }
    }
}
`,
  'src/Server.ts': `// The server entity: answers Greet calls.
import { serve } from 'citadel';
import { createServerDispatcher } from '../gen/app.Server.edl.ts';

serve(createServerDispatcher({
  greeter: { Greet: ({ name }) => ({ greeting: \`hello, \${name}\` }) },
}));
`,
  'src/Client.ts': `// The client entity: calls the server once.
import { connect } from 'citadel';
import { GreeterProxy } from '../gen/app.Greeter.idl.ts';

const channel = connect('server');
const greeter = new GreeterProxy(channel, channel.riid('greeter'));
console.log((await greeter.Greet({ name: 'world' })).greeting);
`,
};

export function runInit(dir: string): number {
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    process.stderr.write(`citadel: error: "${dir}" exists and is not empty; choose a new directory\n`);
    return 1;
  }
  for (const [rel, text] of Object.entries(FILES)) {
    const abs = path.join(dir, rel);
    mkdirSync(path.dirname(abs), { recursive: true });
    writeFileSync(abs, text);
  }
  process.stdout.write(`created solution in ${dir}: ${Object.keys(FILES).join(', ')}\nnext: citadel check ${dir}, then citadel run ${dir}\n`);
  return 0;
}
