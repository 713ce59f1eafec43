import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { ProblemException } from './problem';

export interface FieldError {
  field: string;
  messages: string[];
}

/** Flattens class-validator's tree into `{ field: 'contractor.kvk', messages }` lines. */
export function flattenValidationErrors(errors: ValidationError[], prefix = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const e of errors) {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    if (e.constraints && Object.keys(e.constraints).length > 0) out.push({ field, messages: Object.values(e.constraints) });
    if (e.children?.length) out.push(...flattenValidationErrors(e.children, field));
  }
  return out;
}

/** Whitelisting (unknown fields → 400), transformation to the DTO classes, errors as problem+json. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => {
      const fieldErrors = flattenValidationErrors(errors);
      const summary = fieldErrors.map((e) => `${e.field}: ${e.messages.join('; ')}`).join(' | ');
      return new ProblemException(400, 'validation-failed', `The request is not valid: ${summary}`, { errors: fieldErrors });
    },
  });
}
