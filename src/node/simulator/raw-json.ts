/** Pre-serialised JSON (e.g. cached peer entries) that the OCS envelope passes through as is. */
export class RawJson {
  readonly text: string;
  /** The whole 200 OCS JSON answer, encoded once and reused while this value is cached. */
  envelope: Buffer | null = null;
  constructor(text: string) {
    this.text = text;
  }
}
