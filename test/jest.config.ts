export default {
  displayName: 'workspace',
  preset: '../jest.preset.js',
  rootDir: '.',
  testPathIgnorePatterns: ['/bench/'],
};
