// Root config: runs every project's suite in one jest process (used by `npm test`).
export default {
  projects: ['<rootDir>/libs/*/jest.config.ts', '<rootDir>/apps/*/jest.config.ts', '<rootDir>/test/jest.config.ts'],
};
