import { tracesUrl, tracingConfig, tracingWanted } from './tracing.config';

describe('tracingConfig', () => {
  it('is off by default and on with OTEL_TRACES_EXPORTER=otlp', () => {
    expect(tracingWanted(tracingConfig.load({}))).toBe(false);
    expect(tracingWanted(tracingConfig.load({ OTEL_TRACES_EXPORTER: 'otlp' }))).toBe(true);
    expect(
      tracingWanted(
        tracingConfig.load({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_SDK_DISABLED: 'true' }),
      ),
    ).toBe(false);
  });

  it('sends to the traces endpoint, else <endpoint>/v1/traces, else the local collector', () => {
    expect(tracesUrl(tracingConfig.load({}))).toBe('http://localhost:4318/v1/traces');
    expect(
      tracesUrl(tracingConfig.load({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel:4318/' })),
    ).toBe('http://otel:4318/v1/traces');
    expect(
      tracesUrl(
        tracingConfig.load({
          OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel:4318',
          OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/v1/t',
        }),
      ),
    ).toBe('https://traces.example/v1/t');
  });

  it.each([
    ['OTEL_TRACES_EXPORTER', 'jaeger'],
    ['OTEL_TRACES_SAMPLER', 'sometimes'],
    ['OTEL_TRACES_SAMPLER_ARG', '2'],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'otel:4318'],
  ])('refuses %s=%s with one line naming the variable', (name, value) => {
    expect(() => tracingConfig.load({ [name]: value })).toThrow(name);
    try {
      tracingConfig.load({ [name]: value });
    } catch (error) {
      expect((error as Error).message).not.toContain('\n');
    }
  });
});
