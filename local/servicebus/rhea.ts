/**
 * rhea is CommonJS; this module loads it once and gives the rest of the emulator typed access to the
 * few type-system helpers (Writer, Typed constructors) its published typings leave out.
 */
import { createRequire } from 'node:module';
import type { Container, Message } from 'rhea';

const require = createRequire(import.meta.url);

/** An AMQP-typed value as rhea builds it; opaque to us. */
export interface Typed {
  toRheaTyped(): Typed;
}

interface RheaTypes {
  Writer: new () => { write(value: Typed): void; toBuffer(): Buffer };
  wrap(value: unknown): Typed;
  wrap_string(value: string): Typed;
  wrap_symbol(value: string): Typed;
  wrap_long(value: number | Buffer): Typed;
  wrap_int(value: number): Typed;
  wrap_double(value: number): Typed;
  wrap_uint(value: number): Typed;
  wrap_boolean(value: boolean): Typed;
  wrap_timestamp(value: number): Typed;
  wrap_uuid(value: Buffer): Typed;
  wrap_binary(value: Buffer): Typed;
  wrap_list(value: unknown[]): Typed;
  wrap_map(value: Record<string, unknown>, keyWrapper?: (k: string) => Typed): Typed;
  wrap_array(value: unknown[], code: number): Typed;
  described(descriptor: Typed, value: Typed): Typed;
  wrap_ulong(value: number): Typed;
  Null(): Typed;
}

interface RheaMessageUtil {
  encode(message: Message): Buffer;
  decode(buffer: Buffer): Message;
  header(fields: Record<string, unknown>): { described(): Typed };
  accepted(): { described(): Typed };
  released(): { described(): Typed };
  rejected(fields: { error?: unknown }): { described(): Typed };
  modified(fields: Record<string, unknown>): { described(): Typed };
}

interface RheaModule {
  create_container(options?: Record<string, unknown>): Container;
  types: RheaTypes;
  message: RheaMessageUtil;
  string_to_uuid(value: string): Buffer;
  uuid_to_string(value: Buffer): string;
}

export const rhea = require('rhea') as RheaModule;
export const types = rhea.types;
export const messageUtil = rhea.message;

/** Encodes one typed value (or a sequence of them) to bytes. */
export function encodeTyped(...values: Typed[]): Buffer {
  const writer = new types.Writer();
  for (const value of values) writer.write(value);
  return writer.toBuffer();
}
