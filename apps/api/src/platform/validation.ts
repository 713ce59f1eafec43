import { ValidationPipe, type ArgumentMetadata, type ValidationError } from '@nestjs/common';
import { Lru } from '../shared/lru';
import { ProblemException } from './problem';
import { memoizeValidationMetadata } from './validation-metadata-memo';

export interface FieldError {
  field: string;
  messages: string[];
}

/** Flattens class-validator's tree into `{ field: 'contractor.kvk', messages }` lines. */
export function flattenValidationErrors(errors: ValidationError[], prefix = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const e of errors) {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    // Each message once: two rules may say the same (a missing text is "not a string" to IsString and to IsStorableText).
    if (e.constraints && Object.keys(e.constraints).length > 0) out.push({ field, messages: [...new Set(Object.values(e.constraints))] });
    if (e.children?.length) out.push(...flattenValidationErrors(e.children, field));
  }
  return out;
}

/** Query strings remembered as valid, per query DTO (see ApiValidationPipe). */
const VALID_QUERIES_PER_DTO = 2_000;

/**
 * class-validator and class-transformer cost tens of µs per call (a tenth of a cached status read
 * with `?asOf=`). Query DTOs are flat, and their checks depend on the query string alone: a query
 * with no parameter at all (the common read) becomes an empty instance of its DTO at once (once found valid), and one
 * validated before becomes a new instance with the fields transformed then. Refused queries are
 * not remembered; bodies are always validated.
 */
class ApiValidationPipe extends ValidationPipe {
  private readonly validQueries = new Map<new () => object, Lru<string, object>>();
  private readonly emptyValid = new Set<new () => object>();

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const type = metadata.metatype as (new () => object) | undefined;
    if (metadata.type !== 'query' || !type || value === null || typeof value !== 'object' || !this.toValidate(metadata)) return super.transform(value, metadata);
    // An empty query is an empty instance at once, once it has been found valid for the DTO (one with required parameters is not).
    if (!hasOwnKey(value) && this.emptyValid.has(type)) return new type();
    let valid = this.validQueries.get(type);
    if (!valid) this.validQueries.set(type, (valid = new Lru<string, object>(VALID_QUERIES_PER_DTO)));
    const key = JSON.stringify(value);
    const fields = valid.get(key);
    if (fields) return Object.assign(new type(), fields);
    const instance = (await super.transform(value, metadata)) as object;
    if (!hasOwnKey(value)) this.emptyValid.add(type);
    else valid.set(key, { ...instance });
    return instance;
  }
}

function hasOwnKey(value: object): boolean {
  for (const key in value) if (Object.prototype.hasOwnProperty.call(value, key)) return true;
  return false;
}

/** Whitelisting (unknown fields → 400), transformation to the DTO classes, errors as problem+json. */
export function createValidationPipe(): ValidationPipe {
  memoizeValidationMetadata();
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
