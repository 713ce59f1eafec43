import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuthGuard } from './auth.guard';
import { Authenticator } from './authenticator';

@Global()
@Module({ providers: [Authenticator, { provide: APP_GUARD, useClass: AuthGuard }], exports: [Authenticator] })
export class AuthModule {}
