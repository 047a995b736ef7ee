// Where each form of a voucher lives in the blob store, by the SHA-256 of the original.
export const voucherKeys = (sha256: string) => ({
  original: `originals/${sha256.slice(0, 2)}/${sha256}`,
  public: `public/${sha256.slice(0, 2)}/${sha256}`,
  thumbnail: `thumbnails/${sha256.slice(0, 2)}/${sha256}`,
});
