/**
 * @famfs/libfamfs/device: famfs devices and file data on them, for the CLI (mount, cp), the
 * daemon's stock data path and benches. Named exports only.
 */
export { Device, mapMeta, unmapMeta } from './device';
export type { DeviceKind, MetaMapping } from './device';
export { resolveRange } from './file-ranges';
export type { DeviceRange } from './file-ranges';
export { DataPath } from './file-data';
export type { DataPathOptions, WindowPolicy } from './file-data';
export { withFamfsMeta, withRawDevice } from './device-access';
export type { DeviceAccessOptions, FamfsMeta, MetaAccessOptions } from './device-access';
export { readMetaThroughMount } from './mount-meta';
export { DaxModeError, describeMode, ensureFsdevMode, readDaxMode, setDaxMode, withRawAccess } from './dax-mode';
export type { DaxModeErrorReason, DaxState, ObservedDaxMode, SwitchableDaxMode } from './dax-mode';
export { hostIo, setHostIoDefaults } from './host-io';
export type { HostIo } from './host-io';
export { detectKernelSupport, listDaxDevices } from './kernel-support';
export type { DaxDeviceInfo, FamfsKernel, KernelFacts } from './kernel-support';
export { isReady, kernelSummary, readinessReport } from './readiness';
export type { ProblemSeverity, ReadinessProblem } from './readiness';
export { mountModeNeed } from './mount-mode';
