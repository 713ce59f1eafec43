import { Injectable } from '@nestjs/common';
export const x = Injectable;
