/** Small real images as data URLs, for request and token tests. */

/** A 2 x 3 PNG. */
export const PNG_2X3 =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAIAAAADCAYAAAC56t6BAAAAEklEQVR42mP8z8DwnwEIGGEMAD7ABP8W2BgQAAAAAElFTkSuQmCC';
