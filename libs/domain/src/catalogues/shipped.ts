import type { CatalogueVersion } from './types';
import { utrecht2015 } from './published/utrecht-2015';
import { utrecht2019 } from './published/utrecht-2019';
import { hilversum2015 } from './published/hilversum-2015';
import { hollandRijnland2023 } from './published/holland-rijnland-2023';
import { rijnvicus2023 } from './published/rijnvicus-2023';
import { haaglanden2023 } from './published/haaglanden-2023';
import { harlingen2020 } from './published/harlingen-2020';

export { utrecht2015, utrecht2019, hilversum2015, hollandRijnland2023, rijnvicus2023, haaglanden2023, harlingen2020 };

/** Every catalogue version shipped with the product, in publication order per catalogue. */
export const SHIPPED_CATALOGUE_VERSIONS: readonly CatalogueVersion[] = [
  utrecht2015,
  utrecht2019,
  hilversum2015,
  hollandRijnland2023,
  rijnvicus2023,
  haaglanden2023,
  harlingen2020,
];
