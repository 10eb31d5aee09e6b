/** postinstall: fetch the pinned Temporal binaries unless the machine already provides them. */
import { installTemporalBinaries, MissingBinaryError, resolveTemporalCli, resolveTestServer } from './temporal-binaries.js';

try {
  installTemporalBinaries();
  console.log(`partnerflow: temporal CLI ${resolveTemporalCli()}`);
  console.log(`partnerflow: temporal test server ${resolveTestServer()}`);
} catch (error) {
  const message = error instanceof MissingBinaryError ? error.message : `Installing the Temporal binaries failed: ${(error as Error).message}`;
  console.error(`partnerflow: ${message}`);
  process.exit(1);
}
