import { ConfigError } from '@lib/config';
import { DEFAULT_POPULAR_PRODUCTS_CRON, popularProductsConfig } from './popular-products.config';

describe('popular-products configuration', () => {
  it('defaults to every five minutes, top 10, 500 stores per page', () => {
    expect(popularProductsConfig.load({})).toEqual({
      POPULAR_PRODUCTS_CRON: DEFAULT_POPULAR_PRODUCTS_CRON,
      POPULAR_PRODUCTS_TOP_N: 10,
      POPULAR_PRODUCTS_PAGE_SIZE: 500,
    });
    expect(
      popularProductsConfig.load({ POPULAR_PRODUCTS_CRON: '* * * * * *' }).POPULAR_PRODUCTS_CRON,
    ).toBe('* * * * * *');
  });

  it.each([['every minute'], ['* * *'], ['61 * * * *'], ['* * * * * * *']])(
    'refuses POPULAR_PRODUCTS_CRON=%s naming the variable',
    (cron) => {
      let error: unknown;
      try {
        popularProductsConfig.load({ POPULAR_PRODUCTS_CRON: cron });
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toContain('POPULAR_PRODUCTS_CRON');
      expect((error as Error).message).toContain('expected a cron expression');
    },
  );

  it.each([
    ['POPULAR_PRODUCTS_TOP_N', '0'],
    ['POPULAR_PRODUCTS_PAGE_SIZE', 'many'],
  ])('refuses %s=%s', (name, value) => {
    expect(() => popularProductsConfig.load({ [name]: value })).toThrow(name);
  });
});
