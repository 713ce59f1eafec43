import { isValidDate, isValidInstant, MAX_AMOUNT_CENTS, TEXT_PROBLEMS, textProblem } from '@sroi/domain';
import { registerDecorator, type ValidationOptions } from 'class-validator';

/** A real calendar date `YYYY-MM-DD` (2023-02-30 is refused). */
export function IsCalendarDate(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isCalendarDate',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: `$property must be a calendar date YYYY-MM-DD`, ...options },
      validator: { validate: (value: unknown) => isValidDate(value) },
    });
}

/** An ISO-8601 UTC instant `2024-03-01T12:00:00Z` (fraction optional). */
export function IsUtcInstant(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isUtcInstant',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: `$property must be an ISO-8601 UTC instant like 2024-03-01T12:00:00Z`, ...options },
      validator: { validate: (value: unknown) => isValidInstant(value) },
    });
}

/** Amounts in cents: at most the domain's largest amount (EUR 100 billion; totals stay exact). */
export const MAX_CENTS = MAX_AMOUNT_CENTS;

/** A plain object of string keys to strings matching `pattern` (e.g. a block mapping). */
export function IsStringRecord(pattern: RegExp, options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isStringRecord',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: `$property must be an object of block codes to block codes`, ...options },
      validator: {
        validate: (value: unknown) =>
          value !== null &&
          typeof value === 'object' &&
          !Array.isArray(value) &&
          Object.entries(value as Record<string, unknown>).every(([k, v]) => pattern.test(k) && typeof v === 'string' && pattern.test(v)),
      },
    });
}

/**
 * Text the domain will store (see its `textProblem`): more than white space, no control
 * characters (a line break or tab only where `multiline`), well-formed Unicode. Answered 400
 * here rather than 422 from the domain.
 */
export function IsStorableText(multiline = false, options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isStorableText',
      target: target.constructor,
      propertyName: propertyName as string,
      options: {
        message: (args) => {
          const problem = typeof args.value === 'string' ? textProblem(args.value, multiline) : null;
          return `${args.property} ${problem ? TEXT_PROBLEMS[problem] : 'must be a string'}`;
        },
        ...options,
      },
      validator: { validate: (value: unknown) => typeof value === 'string' && textProblem(value, multiline) === null },
    });
}
