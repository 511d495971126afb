/**
 * The real hardware layer: I2C on i2c-bus, digital lines on onoff or pigpio, PWM on
 * kernel sysfs or pigpio, 1-Wire on sysfs. Each backend is created on first use,
 * so a configuration without GPIO never loads onoff and one without pigpio never
 * imports it (the backends import their libraries lazily as well).
 */
import type {
  DigitalInput,
  DigitalInputOptions,
  DigitalOutput,
  GpioProvider,
  I2cBus,
  Level,
  OneWireBus,
  PwmOptions,
  PwmOutput,
} from '../../device-kit/index.js';
import type { Hal } from '../hal.js';
import { DEFAULT_SYSFS_ROOT, mergePwmPins, type PwmChannelRef } from './gpio-chip.js';
import { openI2cBus } from './i2c.js';
import { SysfsOneWireBus } from './one-wire.js';
import { OnoffGpioProvider } from './onoff-gpio.js';
import { PigpioGpioProvider } from './pigpio-gpio.js';
import { SysfsPwmBackend } from './sysfs-pwm.js';

export interface RealHalOptions {
  /** Backend for digital inputs and outputs. */
  gpio: 'onoff' | 'pigpio';
  /** Backend for PWM outputs. */
  pwm: 'sysfs' | 'pigpio';
  /** GPIO chip label accepted besides the Raspberry Pi ones (`gpio-mockup-A` under QEMU). */
  gpioChipLabel?: string;
  /** Root of the sysfs tree for chip lookups, sysfs PWM and 1-Wire; `/sys` by default. */
  sysfsRoot?: string;
  /** BCM pin → PWM chip and channel, replacing the built-in Pi 4/Pi 5 entries for those pins. */
  pwmPins?: Record<number, PwmChannelRef>;
  /** pigpio's sample rate in µs (1, 2, 4, 5, 8, 10). */
  pigpioSampleRateUs?: number;
  /** Where the Pi 5 check reads `device-tree/model`; `/proc` by default. */
  procRoot?: string;
}

export interface RealHal extends Hal {
  readonly kind: 'real';
  /**
   * Loads and initialises pigpio now when the configuration uses it (nothing
   * otherwise), so its errors surface at start-up. Call it before registering
   * signal handlers: the C library installs its own for every signal when it
   * initialises, replacing Node's (pigpio doc/configuration.md, initialize()).
   */
  preload(): Promise<void>;
}

interface Closable {
  close(): Promise<void>;
}

export function createRealHal(options: RealHalOptions): RealHal {
  const sysfsRoot = options.sysfsRoot ?? DEFAULT_SYSFS_ROOT;
  const buses = new Map<number, Promise<I2cBus>>();
  const handles = new Set<Closable>();
  const pins = new Set<number>();
  let pigpio: PigpioGpioProvider | undefined;
  let onoff: OnoffGpioProvider | undefined;
  let sysfsPwm: SysfsPwmBackend | undefined;
  let oneWire: OneWireBus | undefined;
  let closed = false;

  const getPigpio = () => {
    pigpio ??= new PigpioGpioProvider({
      sysfsRoot,
      procRoot: options.procRoot,
      sampleRateUs: options.pigpioSampleRateUs,
    });
    return pigpio;
  };

  const openPwm = (pin: number, pwmOptions: PwmOptions): Promise<PwmOutput> => {
    if (options.pwm === 'pigpio') return getPigpio().pwm(pin, pwmOptions);
    sysfsPwm ??= new SysfsPwmBackend({ sysfsRoot, pins: mergePwmPins(options.pwmPins) });
    return sysfsPwm.open(pin, pwmOptions);
  };

  const digital = (): GpioProvider => {
    if (options.gpio === 'pigpio') return getPigpio();
    onoff ??= new OnoffGpioProvider({ sysfsRoot, chipLabel: options.gpioChipLabel, pwm: openPwm });
    return onoff;
  };

  /**
   * Remembers what was opened so close() can release it, and forgets what closes
   * itself. Pins are claimed across backends: with onoff and sysfs PWM, nothing
   * else would stop one pin being opened as a digital output and as a PWM.
   */
  const track = async <T extends Closable>(pin: number, open: () => Promise<T>): Promise<T> => {
    if (closed) throw new Error('the hardware layer is closed');
    if (pins.has(pin))
      throw Object.assign(new Error(`EBUSY: GPIO ${pin} is already open`), { code: 'EBUSY' });
    pins.add(pin);
    let handle: T;
    try {
      handle = await open();
    } catch (error) {
      pins.delete(pin);
      throw error;
    }
    const close = handle.close.bind(handle);
    handle.close = async () => {
      handles.delete(handle);
      pins.delete(pin);
      await close();
    };
    if (closed) {
      await handle.close();
      throw new Error(`the hardware layer was closed while GPIO ${pin} was opening`);
    }
    handles.add(handle);
    return handle;
  };

  const gpio: GpioProvider = {
    digitalInput: (pin: number, o: DigitalInputOptions): Promise<DigitalInput> =>
      track(pin, () => digital().digitalInput(pin, o)),
    digitalOutput: (pin: number, o: { activeLow: boolean; initial: Level }): Promise<DigitalOutput> =>
      track(pin, () => digital().digitalOutput(pin, o)),
    pwm: (pin: number, o: PwmOptions): Promise<PwmOutput> => track(pin, () => openPwm(pin, o)),
  };

  return {
    kind: 'real',
    gpio,

    i2c(busNumber: number): Promise<I2cBus> {
      if (closed) return Promise.reject(new Error('the hardware layer is closed'));
      let bus = buses.get(busNumber);
      if (!bus) {
        // One bus per number, shared by the drivers on it. A failed open is not
        // cached (the adapter may appear later: a USB bridge, a fixed config.txt),
        // and a closed bus is not handed out again.
        const opening = openI2cBus(busNumber).then((opened) => {
          const close = opened.close.bind(opened);
          opened.close = async () => {
            if (buses.get(busNumber) === opening) buses.delete(busNumber);
            await close();
          };
          return opened;
        });
        opening.catch(() => buses.delete(busNumber));
        buses.set(busNumber, opening);
        bus = opening;
      }
      return bus;
    },

    oneWire(): OneWireBus {
      oneWire ??= new SysfsOneWireBus(sysfsRoot);
      return oneWire;
    },

    async preload(): Promise<void> {
      if (options.gpio === 'pigpio' || options.pwm === 'pigpio') await getPigpio().load();
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      const results = await Promise.allSettled([
        ...[...handles].map((h) => h.close()),
        // A bus that never opened has nothing to close.
        ...[...buses.values()].map((b) =>
          b.then(
            (bus) => bus.close(),
            () => undefined,
          ),
        ),
      ]);
      buses.clear();
      // pigpio last: its lines must stay valid while the handles above are closed.
      const pigpioClosed = await Promise.allSettled([pigpio?.close()]);
      const failures = [...results, ...pigpioClosed]
        .filter((r): r is PromiseRejectedResult => r.status === 'rejected')
        .map((r) => r.reason as unknown);
      if (failures.length > 0) throw new AggregateError(failures, 'closing the hardware layer failed');
    },
  };
}
