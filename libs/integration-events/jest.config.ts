export default {
  displayName: 'integration-events',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
