/** Text made safe for XML and HTML content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&${ESCAPES[c]};`);
}

const ESCAPES: Record<string, string> = { '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": '#39' };

/** A number short enough for coordinates (no long float tails in the markup). */
export function num(value: number): string {
  return String(Math.round(value * 100) / 100);
}

export type Attributes = Record<string, string | number | undefined>;

export function attributes(attrs: Attributes): string {
  return Object.entries(attrs)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${typeof v === 'number' ? num(v) : escapeXml(v as string)}"`)
    .join('');
}

export function element(name: string, attrs: Attributes, content?: string): string {
  return content === undefined ? `<${name}${attributes(attrs)}/>` : `<${name}${attributes(attrs)}>${content}</${name}>`;
}

export const FONT_FAMILY = 'DejaVu Sans, Verdana, Arial, sans-serif';

export interface TextOptions {
  size?: number;
  anchor?: 'start' | 'middle' | 'end';
  weight?: 'normal' | 'bold';
  fill?: string;
  /** Shrinks the font so that the text fits this width (glyph widths estimated). */
  maxWidth?: number;
}

/** Average advance of a DejaVu Sans glyph as a fraction of the font size (a generous estimate). */
const GLYPH_WIDTH = 0.6;

export function text(x: number, y: number, content: string, options: TextOptions = {}): string {
  let size = options.size ?? 14;
  if (options.maxWidth !== undefined && content.length * size * GLYPH_WIDTH > options.maxWidth) {
    size = Math.max(7, options.maxWidth / (content.length * GLYPH_WIDTH));
  }
  return element(
    'text',
    {
      x,
      y,
      'font-size': size,
      'font-weight': options.weight === 'bold' ? 'bold' : undefined,
      'text-anchor': options.anchor ?? 'start',
      fill: options.fill ?? '#222',
    },
    escapeXml(content),
  );
}

export function svgDocument(width: number, height: number, body: string, label?: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${num(width)}" height="${num(height)}" ` +
    `viewBox="0 0 ${num(width)} ${num(height)}" font-family="${FONT_FAMILY}"${label ? ` role="img" aria-label="${escapeXml(label)}"` : ''}>` +
    element('rect', { width, height, fill: 'white' }) +
    body +
    '</svg>'
  );
}
