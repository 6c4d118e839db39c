// The KasperskyOS SDK programs Citadel ships stand-ins for (include/kl/…), and what the SDK's
// CMake puts in place of its own template placeholders.
import { sdkPlaceholderDefault } from '../lang/template.ts';

export const SDK_PROGRAMS = [
  'kl.VfsRamFs', 'kl.VfsSdCardFs', 'kl.VfsNet', 'kl.TlsEntity', 'kl.EntropyEntity', 'kl.Ntpd', 'kl.rump.Dhcpcd',
  'kl.core.DCM', 'kl.core.NameServer', 'kl.bc.BlobContainer',
  'kl.drivers.SDCard', 'kl.drivers.RAMDisk', 'kl.drivers.GPIO', 'kl.drivers.BSP', 'kl.drivers.UART', 'kl.drivers.I2C',
  'kl.drivers.USB', 'kl.drivers.PCIE', 'kl.drivers.PinCtrl', 'kl.drivers.Bcm2711MboxArmToVc',
  'kl.drivers.DNetSrv', 'kl.drivers.DNetSrvMbim', 'kl.drivers.DNetSrvBrcmfmac',
  'wpa.WpaSupplicant', 'logrr.Server', 'logrr.FsOutputChannel', 'execution_manager.ExecMgrEntity', 'package_manager.PkgMgrEntity',
];

/**
 * In a PSL template `@INIT_EXTERNAL_ENTITIES@` stands for the `use EDL` lines of the SDK programs
 * the build adds; Citadel cannot know which were linked, so it includes every stand-in.
 */
export function pslPlaceholderDefault(name: string): string | undefined {
  if (name === 'INIT_EXTERNAL_ENTITIES') return SDK_PROGRAMS.map((p) => `use EDL ${p}`).join('\n');
  return sdkPlaceholderDefault(name);
}
