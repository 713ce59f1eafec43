import { ValidationPipe, type ArgumentMetadata, type ValidationError } from '@nestjs/common';
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

/**
 * class-validator and class-transformer cost tens of µs per call: a query string with no
 * parameter at all (the common read) has nothing to validate, every query DTO field being
 * optional, and becomes an empty instance of its DTO at once.
 */
class ApiValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const type = metadata.metatype;
    if (metadata.type === 'query' && type && value !== null && typeof value === 'object' && !hasOwnKey(value) && this.toValidate(metadata)) {
      return new (type as new () => object)();
    }
    return super.transform(value, metadata);
  }
}

function hasOwnKey(value: object): boolean {
  for (const key in value) if (Object.prototype.hasOwnProperty.call(value, key)) return true;
  return false;
}

/** Whitelisting (unknown fields → 400), transformation to the DTO classes, errors as problem+json. */
export function createValidationPipe(): ValidationPipe {
  return new ApiValidationPipe({
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
