/**
 * What an image part costs in prompt tokens, by OpenAI's published formula for the gpt-4o, gpt-4.1 and
 * gpt-5 families (Azure OpenAI documents the same): `low` detail is one 512 px view, 85 tokens; `high`
 * scales the image to fit 2048 x 2048, then its short side down to 768 px, and costs 85 + 170 per 512 px
 * tile. `auto` lets the service choose, so the pacer charges it as `high`.
 *
 * The dimensions of a data URL's image are read from its header. An https image is not fetched (the
 * service fetches it, and we would pay the transfer and a tenant's server could stall us), so it is
 * charged as the largest high-detail image: 768 x 2048, 8 tiles, 1,445 tokens. The charge stays at or
 * above the service's count, as pacing needs.
 */
import { dataUrlDimensions, type ImageDimensions } from '../jobs/image-url.js';

export const IMAGE_BASE_TOKENS = 85;
export const IMAGE_TILE_TOKENS = 170;
const TILE_PX = 512;
const FIT_PX = 2048;
const SHORT_SIDE_PX = 768;
/** An image whose size is unknown: the most tiles a high-detail image can have (768 x 2048). */
export const UNKNOWN_IMAGE_TOKENS = IMAGE_BASE_TOKENS + IMAGE_TILE_TOKENS * 8;

export interface CountableImage {
  readonly url: string;
  readonly detail?: 'auto' | 'low' | 'high' | undefined;
}

export function imageTokens(image: CountableImage): number {
  if (image.detail === 'low') return IMAGE_BASE_TOKENS;
  const dimensions = dataUrlDimensions(image.url);
  return dimensions ? highDetailTokens(dimensions) : UNKNOWN_IMAGE_TOKENS;
}

export function highDetailTokens({ width, height }: ImageDimensions): number {
  let w = width;
  let h = height;
  const longest = Math.max(w, h);
  if (longest > FIT_PX) {
    w = (w * FIT_PX) / longest;
    h = (h * FIT_PX) / longest;
  }
  const shortest = Math.min(w, h);
  if (shortest > SHORT_SIDE_PX) {
    w = (w * SHORT_SIDE_PX) / shortest;
    h = (h * SHORT_SIDE_PX) / shortest;
  }
  return IMAGE_BASE_TOKENS + IMAGE_TILE_TOKENS * Math.ceil(w / TILE_PX) * Math.ceil(h / TILE_PX);
}
