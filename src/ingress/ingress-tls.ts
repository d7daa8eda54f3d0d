// The certificate an ingress serves. Istio's gateway reads it from a Secret in the gateway's own
// namespace, whatever namespace the routes are in (Istio docs, "Secure Gateways": the secret "must
// be in the same namespace as the ingress gateway deployment"); a Gateway API Gateway reads it from
// its own namespace unless a ReferenceGrant allows another. cert-manager can issue it there.
import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { Certificate } from '../../imports/cert-manager.io';
import { checkDnsSubdomain, invalid, isDnsSubdomain } from '../common/validation';

/**
 * Options of a certificate that cert-manager issues.
 */
export interface CertManagerTlsOptions {
  /**
   * The Secret cert-manager writes the certificate and key to, in the gateway's namespace.
   *
   * @default - "<ingress name>-tls"
   */
  readonly secretName?: string;
}

/** What a TLS setting gives the renderers: the Secret's name, and the Certificate when one is issued. */
export interface BoundTls {
  readonly secretName: string;
  readonly certificate?: ApiObject;
}

/**
 * The certificate an ingress serves over HTTPS, from a Secret in the gateway's namespace.
 */
export class IngressTls {
  /**
   * A `kubernetes.io/tls` Secret (keys `tls.crt` and `tls.key`) that exists in the gateway's
   * namespace, created by other means (a sealed or external secret, a certificate tool).
   *
   * @param secretName the Secret's name
   */
  public static fromSecret(secretName: string): IngressTls {
    return new IngressTls(secretName);
  }

  /**
   * A cert-manager Certificate for every host of the ingress, issued by an `Issuer` that exists in
   * the gateway's namespace (an Issuer only issues certificates of its own namespace).
   *
   * @param issuerName the Issuer's name
   */
  public static fromIssuer(issuerName: string, options: CertManagerTlsOptions = {}): IngressTls {
    return new IngressTls(options.secretName, { kind: 'Issuer', name: issuerName });
  }

  /**
   * A cert-manager Certificate for every host of the ingress, issued by a `ClusterIssuer` (for
   * example an ACME issuer such as Let's Encrypt). A wildcard host needs an issuer with a DNS-01
   * solver: ACME does not issue wildcards over HTTP-01.
   *
   * @param issuerName the ClusterIssuer's name
   */
  public static fromClusterIssuer(issuerName: string, options: CertManagerTlsOptions = {}): IngressTls {
    return new IngressTls(options.secretName, { kind: 'ClusterIssuer', name: issuerName });
  }

  private constructor(
    private readonly secretName?: string,
    private readonly issuer?: { readonly kind: string; readonly name: string },
  ) {}

  /**
   * Checks the names and renders the Certificate, when cert-manager issues one, for the hosts that
   * `hosts` lists at synth.
   *
   * @internal
   */
  public _bind(scope: Construct, o: { name: string; namespace: string; labels: Record<string, string>; hosts: () => string[] }): BoundTls {
    const secretName = this.secretName ?? `${o.name}-tls`;
    if (!isDnsSubdomain(secretName)) {
      throw invalid(scope, 'tls secretName', secretName,
        "must be a Secret name: at most 253 lowercase letters, digits, '-' or '.', starting and ending with a letter or digit (e.g. \"shop-tls\")");
    }
    if (!this.issuer) return { secretName };
    checkDnsSubdomain(scope, `tls ${this.issuer.kind} name`, this.issuer.name);
    const certificate = new Certificate(scope, 'Certificate', {
      metadata: { name: secretName, namespace: o.namespace, labels: o.labels },
      spec: {
        secretName,
        dnsNames: Lazy.any({ produce: () => o.hosts() }),
        issuerRef: { group: 'cert-manager.io', kind: this.issuer.kind, name: this.issuer.name },
      },
    });
    return { secretName, certificate };
  }
}
