export * from './abi';
export * from './request';
export * from './reply';
export * from './profiles';
export * from './fmap-sizing';
