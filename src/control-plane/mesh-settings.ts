// Typed values for the few `meshConfig` fields a zero-trust mesh sets (Istio docs: Global Mesh Options).

/**
 * Encoding of the proxies' access log (`meshConfig.accessLogEncoding`).
 */
export enum IstioAccessLogEncoding {
  /** Envoy's text format (Istio's default). */
  TEXT = 'TEXT',
  /** One JSON object per line, for log pipelines that parse fields. */
  JSON = 'JSON',
}

/**
 * Where every sidecar and gateway writes its access log (`meshConfig.accessLogFile`).
 */
export class IstioAccessLog {
  /**
   * Access log on the proxy container's standard output, where the cluster's log collector reads it.
   *
   * @param encoding text or JSON lines (default: Istio's default, text)
   */
  public static toStdout(encoding?: IstioAccessLogEncoding): IstioAccessLog {
    return new IstioAccessLog('/dev/stdout', encoding);
  }

  /**
   * Access log to a file inside the proxy container.
   *
   * @param path absolute path of the file
   * @param encoding text or JSON lines (default: Istio's default, text)
   */
  public static toFile(path: string, encoding?: IstioAccessLogEncoding): IstioAccessLog {
    return new IstioAccessLog(path, encoding);
  }

  /** The file the proxies write to. */
  public readonly path: string;

  /** The encoding, when not Istio's default. */
  public readonly encoding?: IstioAccessLogEncoding;

  private constructor(path: string, encoding?: IstioAccessLogEncoding) {
    this.path = path;
    this.encoding = encoding;
  }
}
