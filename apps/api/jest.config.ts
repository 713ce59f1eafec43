export default {
  displayName: 'api',
  preset: '../../jest.preset.js',
  rootDir: '.',
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
  // @fastify/static (served by @nestjs/swagger) pulls in ESM-only content-disposition: transform it too.
  transformIgnorePatterns: ['/node_modules/(?!(@nestjs|uuid|content-disposition|eventsource|eventsource-parser)/)'],
};
