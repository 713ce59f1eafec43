export default {
  displayName: 'event-store',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
