import 'reflect-metadata';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Min, ValidateNested, getMetadataStorage, registerDecorator, validateSync, type ValidationError } from 'class-validator';
import { memoizeValidationMetadata } from './validation-metadata-memo';

// Jest gives each test file its own global object, and class-validator keeps its storage there:
// what this file installs stays in this file.

class Supplier {
  @IsString()
  name!: string;
}

class Contribution {
  @IsString()
  description!: string;

  @IsInt()
  @Min(0)
  costCents!: number;
}

class Purchase extends Contribution {
  @ValidateNested()
  @Type(() => Supplier)
  supplier!: Supplier;

  @IsOptional()
  @IsString()
  invoiceReference?: string;
}

const OPTIONS = { whitelist: true, forbidNonWhitelisted: true, validationError: { target: false, value: false } };

/** Plain instances, as class-transformer would make them, with the nested object a Supplier when it is an object. */
function purchase(fields: Record<string, unknown>): Purchase {
  const p = Object.assign(new Purchase(), fields);
  if (fields['supplier'] && typeof fields['supplier'] === 'object') p.supplier = Object.assign(new Supplier(), fields['supplier']);
  return p;
}

const INPUTS: Record<string, unknown>[] = [
  { description: 'kerstmarkt', costCents: 1200, supplier: { name: 'Reinaerde' } },
  { description: 'kerstmarkt', costCents: -1, supplier: { name: 7 } },
  { description: 3, costCents: 1.5, supplier: { name: 'Reinaerde', kvk: '1' }, extra: true },
  { costCents: 10, invoiceReference: 42 },
];

/** The errors as data: property, constraints' names, and the children's, recursively. */
function shape(errors: ValidationError[]): unknown[] {
  return errors.map((e) => ({ property: e.property, constraints: Object.keys(e.constraints ?? {}).sort(), children: shape(e.children ?? []) }));
}

const validateAll = () => INPUTS.map((input) => shape(validateSync(purchase(input), OPTIONS)));

describe('class-validator with its metadata look-ups memoized', () => {
  const before = validateAll();

  beforeAll(() => memoizeValidationMetadata());

  it('finds what it found without the memo, inherited rules and nested objects included, each time', () => {
    // the inputs above do fail in several ways, else the comparison would say little
    expect(before[0]).toEqual([]);
    expect(before[1].length).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(before[2])).toContain('whitelistValidation');
    expect(validateAll()).toEqual(before);
    expect(validateAll()).toEqual(before);
  });

  it('looks a class up once: the same list for the same options, another for other options', () => {
    const storage = getMetadataStorage();
    const first = storage.getTargetValidationMetadatas(Purchase, '', false, false);
    expect(storage.getTargetValidationMetadatas(Purchase, '', false, false)).toBe(first);
    expect(first.map((m) => m.propertyName)).toEqual(expect.arrayContaining(['description', 'costCents', 'supplier', 'invoiceReference']));
    expect(storage.groupByPropertyName(first)).toBe(storage.groupByPropertyName(first));
    expect(storage.getTargetValidationMetadatas(Purchase, '', false, false, ['admin'])).not.toBe(first);
  });

  it('forgets what it found when a rule is declared afterwards, on a class validated before', () => {
    expect(validateSync(purchase({ description: 'x', costCents: 5, supplier: { name: 'Reinaerde' } }), OPTIONS)).toEqual([]);
    // A rule added to Contribution now: Purchase inherits it from its next validation on.
    registerDecorator({
      name: 'isEven',
      target: Contribution,
      propertyName: 'costCents',
      validator: { validate: (value: unknown) => typeof value === 'number' && value % 2 === 0 },
    });
    const errors = validateSync(purchase({ description: 'x', costCents: 5, supplier: { name: 'Reinaerde' } }), OPTIONS);
    expect(shape(errors)).toEqual([{ property: 'costCents', constraints: ['isEven'], children: [] }]);
  });

  it('looks up a class declared after the memo was installed', () => {
    class Late {
      @IsString()
      note!: string;
    }
    expect(shape(validateSync(Object.assign(new Late(), { note: 1 }), OPTIONS))).toEqual([{ property: 'note', constraints: ['isString'], children: [] }]);
    expect(validateSync(Object.assign(new Late(), { note: 'ok' }), OPTIONS)).toEqual([]);
  });

  it('is installed once however often it is called', () => {
    const storage = getMetadataStorage();
    const installed = storage.getTargetValidationMetadatas;
    memoizeValidationMetadata();
    expect(storage.getTargetValidationMetadatas).toBe(installed);
  });
});
