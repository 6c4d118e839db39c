#!/usr/bin/env node
// Entry point for `npx citadel`: the CLI is TypeScript, run natively by Node 26.
import '../src/cli/main.ts';
