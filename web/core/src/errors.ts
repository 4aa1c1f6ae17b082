/**
 * The errors of the crypto layer, with the stable codes of sync/errors.py (docs/protocol.md
 * §6). Every refusal of an age file, a sealed batch or pull response, or a receipt throws
 * one of these; `code` is what a client switches on and what the server puts in its 4xx
 * bodies. The class tree is Python's, so `instanceof AgeError` holds for every age failure
 * and `instanceof PayloadError` for both truncated and tampered payloads.
 */

export class CairnCryptoError extends Error {
  readonly code: string = "crypto_error";
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class AgeError extends CairnCryptoError {
  override readonly code: string = "age_error";
}
export class MalformedHeader extends AgeError {
  override readonly code: string = "malformed_header";
}
export class UnsupportedVersion extends MalformedHeader {
  override readonly code: string = "unsupported_age_version";
}
export class NoMatchingIdentity extends AgeError {
  override readonly code: string = "no_matching_identity";
}
export class HeaderMacMismatch extends AgeError {
  override readonly code: string = "bad_header_mac";
}
export class PayloadError extends AgeError {
  override readonly code: string = "payload_error";
}
export class TruncatedPayload extends PayloadError {
  override readonly code: string = "truncated_payload";
}
export class TamperedPayload extends PayloadError {
  override readonly code: string = "tampered_payload";
}
export class ArmorError extends AgeError {
  override readonly code: string = "bad_armor";
}
export class UnsupportedRecipient extends AgeError {
  override readonly code: string = "unsupported_recipient";
}
export class IncompatibleRecipients extends AgeError {
  override readonly code: string = "incompatible_recipients";
}
export class InvalidKeyText extends AgeError {
  override readonly code: string = "invalid_key_text";
}

export class SealedBatchError extends CairnCryptoError {
  override readonly code: string = "sealed_batch_error";
}
export class MalformedEnvelope extends SealedBatchError {
  override readonly code: string = "malformed_envelope";
}
export class UnsupportedEnvelopeVersion extends SealedBatchError {
  override readonly code: string = "unsupported_envelope_version";
}
export class NotForUs extends SealedBatchError {
  override readonly code: string = "not_for_us";
}
export class BadSignature extends SealedBatchError {
  override readonly code: string = "bad_signature";
}
export class UnknownSigner extends SealedBatchError {
  override readonly code: string = "unknown_signer";
}
export class RevokedSigner extends SealedBatchError {
  override readonly code: string = "revoked_signer";
}
export class RoutingMismatch extends SealedBatchError {
  override readonly code: string = "routing_mismatch";
}

export class ReceiptError extends CairnCryptoError {
  override readonly code: string = "receipt_error";
}
export class MalformedReceipt extends ReceiptError {
  override readonly code: string = "malformed_receipt";
}
export class BadReceiptSignature extends ReceiptError {
  override readonly code: string = "bad_receipt_signature";
}

export class KeyStoreError extends CairnCryptoError {
  override readonly code: string = "key_store_error";
}

/** The error code of anything thrown by the crypto layer ("" for any other error). */
export function errorCode(e: unknown): string {
  return e instanceof CairnCryptoError ? e.code : "";
}
