/**
 * An image part's `url`: an https URL the model fetches, or the image itself as a base64 data URL. Data
 * URLs travel inside the job (the job document in Cosmos DB, the stage messages), so each is bounded and
 * must decode to an image whose size can be read (the quota estimate needs its dimensions, see
 * shared/model/image-tokens.ts). A larger image goes by https URL (a Blob SAS URL, say): the service
 * fetches it, and the job stays small.
 */
import { imageSize } from 'image-size';

export const IMAGE_LIMITS = {
  /** One data URL, in characters (~384 KB of image): keeps a job far below Cosmos DB's 2 MB document. */
  maxDataUrlChars: 512 * 1024,
  /** All data URLs of one request together, under the 1 MB HTTP body limit. */
  maxDataUrlCharsPerRequest: 768 * 1024,
  /** Image parts in one request. */
  maxImagesPerRequest: 50,
  /** An https URL, in characters (SAS URLs are long). */
  maxUrlChars: 8192,
} as const;

const DATA_URL_PREFIX = /^data:image\/(png|jpeg|gif|webp);base64,/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export interface ImageDimensions {
  readonly width: number;
  readonly height: number;
}

/** Why `url` cannot be an image part's url, or undefined when it can. */
export function imageUrlProblem(url: string): string | undefined {
  if (url.startsWith('data:')) {
    if (url.length > IMAGE_LIMITS.maxDataUrlChars) {
      return `is a ${url.length}-character data URL; at most ${IMAGE_LIMITS.maxDataUrlChars} (send a larger image by https URL)`;
    }
    const prefix = DATA_URL_PREFIX.exec(url);
    if (!prefix) return 'must be a data:image/(png|jpeg|gif|webp);base64,... URL';
    if (!BASE64.test(url.slice(prefix[0].length))) return 'is not valid base64 after the data URL prefix';
    return dataUrlDimensions(url) ? undefined : 'does not decode to a PNG, JPEG, GIF or WebP image';
  }
  if (url.length > IMAGE_LIMITS.maxUrlChars) return `is longer than ${IMAGE_LIMITS.maxUrlChars} characters`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'must be an https URL or a base64 data URL';
  }
  return parsed.protocol === 'https:' ? undefined : 'must be an https URL or a base64 data URL';
}

/** Width and height of a data URL's image, or undefined for an https URL or an unreadable image. */
export function dataUrlDimensions(url: string): ImageDimensions | undefined {
  const prefix = DATA_URL_PREFIX.exec(url);
  if (!prefix) return undefined;
  try {
    const size = imageSize(Buffer.from(url.slice(prefix[0].length), 'base64'));
    return size.width > 0 && size.height > 0 ? { width: size.width, height: size.height } : undefined;
  } catch {
    return undefined;
  }
}
