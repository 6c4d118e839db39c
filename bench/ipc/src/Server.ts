// Echo server for the IPC benchmark.
import { serve } from 'citadel';
import { createServerDispatcher } from '../gen/echo.Server.edl.ts';

serve(createServerDispatcher({ echo: { Echo: ({ data }) => ({ data2: data }) } }));
