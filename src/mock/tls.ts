import { generateKeyPair, randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import forge from 'node-forge'

/**
 * The HTTPS stand-in's certificate, made at start: a throwaway CA and a server certificate it
 * signs for localhost, 127.0.0.1 and ::1, valid for a week. The CA is what a client trusts
 * (`run --ca <dir>/ca.pem`); a browser-like client (the web app's traffic) then does the TLS
 * handshake a device does. Keys come from node:crypto (native, fast); node-forge (pure JS, no
 * dependencies) only writes and signs the X.509 certificates, which Node cannot.
 */
export interface StandInCertificate {
  /** PEM of the server's private key and certificate chain (server, then CA) */
  readonly key: string
  readonly cert: string
  /** PEM of the CA to trust */
  readonly ca: string
  /** where ca.pem, cert.pem and key.pem were written */
  readonly dir: string
  readonly caPath: string
}

const VALID_DAYS = 7

/** Makes the CA and server certificate and writes them to `dir` (default: a new temporary folder). */
export async function makeStandInCertificate(dir?: string): Promise<StandInCertificate> {
  // both key pairs at once, off the event loop (an RSA key takes 0.1-1 s on a busy machine)
  const [caKeys, serverKeys] = await Promise.all([rsaKeys(), rsaKeys()])
  const caName = [{ name: 'commonName', value: 'checkin-load stand-in CA' }]

  const ca = newCertificate(caKeys.publicKey, caName, caName)
  ca.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ])
  ca.sign(caKeys.privateKey, forge.md.sha256.create())

  const server = newCertificate(serverKeys.publicKey, [{ name: 'commonName', value: 'localhost' }], caName)
  server.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [
        { type: 2, value: 'localhost' },
        { type: 7, ip: '127.0.0.1' },
        { type: 7, ip: '::1' },
      ],
    },
    { name: 'authorityKeyIdentifier', keyIdentifier: ca.generateSubjectKeyIdentifier().getBytes() },
  ])
  server.sign(caKeys.privateKey, forge.md.sha256.create())

  const caPem = forge.pki.certificateToPem(ca)
  const cert = forge.pki.certificateToPem(server) + caPem
  const key = forge.pki.privateKeyToPem(serverKeys.privateKey)
  const out = dir ?? mkdtempSync(join(tmpdir(), 'checkin-load-mock-tls-'))
  mkdirSync(out, { recursive: true })
  const caPath = join(out, 'ca.pem')
  writeFileSync(caPath, caPem)
  writeFileSync(join(out, 'cert.pem'), cert)
  writeFileSync(join(out, 'key.pem'), key, { mode: 0o600 })
  return { key, cert, ca: caPem, dir: out, caPath }
}

const generateKeyPairAsync = promisify(generateKeyPair)

async function rsaKeys(): Promise<{
  publicKey: forge.pki.rsa.PublicKey
  privateKey: forge.pki.rsa.PrivateKey
}> {
  const pair = await generateKeyPairAsync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  })
  return {
    publicKey: forge.pki.publicKeyFromPem(pair.publicKey) as forge.pki.rsa.PublicKey,
    privateKey: forge.pki.privateKeyFromPem(pair.privateKey) as forge.pki.rsa.PrivateKey,
  }
}

function newCertificate(
  publicKey: forge.pki.rsa.PublicKey,
  subject: forge.pki.CertificateField[],
  issuer: forge.pki.CertificateField[],
): forge.pki.Certificate {
  const cert = forge.pki.createCertificate()
  cert.publicKey = publicKey
  // a positive serial: 16 random bytes with the top bit cleared
  const serial = randomBytes(16)
  serial[0]! &= 0x7f
  cert.serialNumber = serial.toString('hex')
  const now = Date.now()
  cert.validity.notBefore = new Date(now - 60_000)
  cert.validity.notAfter = new Date(now + VALID_DAYS * 86_400_000)
  cert.setSubject(subject)
  cert.setIssuer(issuer)
  return cert
}
