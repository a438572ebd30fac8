import { describe, expect, it } from 'vitest';
import { reportHtml, type Curve, type ReportRow } from '../src/index.js';
import { dataUris, rampMap, solidImage } from './helpers.js';

const curve = (kind: Curve['kind'], auc: number): Curve => ({ scores: [0.2, 0.4, 0.6], auc, kind, classIndex: 0 });

function rows(): ReportRow[] {
  return [
    {
      name: 'cat <script>alert(1)</script>.jpg',
      image: solidImage(32, 24, [10, 200, 30]),
      classIndex: 281,
      className: 'tabby & co',
      probability: 0.5,
      results: [
        { method: 'rise', label: 'RISE', map: rampMap(8, 8), insertion: curve('insertion', 0.6), deletion: curve('deletion', 0.1) },
        { method: 'abs-cam-init', label: 'Abs-CAM (Init)', map: rampMap(4, 4), insertion: curve('insertion', 0.4), deletion: curve('deletion', 0.3) },
      ],
    },
    {
      name: 'dog.png',
      image: solidImage(500, 300, [90, 90, 90]),
      results: [{ method: 'rise', map: rampMap(8, 8), insertion: curve('insertion', 0.8), deletion: curve('deletion', 0.2) }],
    },
  ];
}

describe('reportHtml', () => {
  it('is self-contained: images inlined as data URIs, curves as inline SVG, no scripts or external URLs', async () => {
    const html = await reportHtml({ title: 'Comparison', rows: rows() });
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    // 2 images + 3 overlays.
    expect(dataUris(html)).toHaveLength(5);
    expect(html.match(/<img /g)).toHaveLength(5);
    expect(html.match(/<svg /g)).toHaveLength(3);
    expect(html).not.toMatch(/<script|<link|@import|url\(/i);
    expect(html).not.toMatch(/(src|href)="(?!data:)/);
    // The only URL is the SVG namespace, which is a name, not something fetched.
    expect(html.match(/https?:\/\/[^"]*/g)?.every((u) => u === 'http://www.w3.org/2000/svg')).toBe(true);
  });

  it('escapes every text it shows', async () => {
    const html = await reportHtml({ title: 'A <b>bold</b> "title"', subtitle: 'model: x & y', rows: rows(), failures: [{ name: '<bad>.jpg', reason: 'Cannot decode <bad>.jpg' }] });
    expect(html).toContain('<title>A &lt;b&gt;bold&lt;/b&gt; &quot;title&quot;</title>');
    expect(html).toContain('cat &lt;script&gt;alert(1)&lt;/script&gt;.jpg');
    expect(html).toContain('tabby &amp; co (281), p = 0.500');
    expect(html).toContain('model: x &amp; y');
    expect(html).toContain('<li><b>&lt;bad&gt;.jpg</b>: Cannot decode &lt;bad&gt;.jpg</li>');
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<bad>');
  });

  it('shows a method without a label by its id', async () => {
    const html = await reportHtml({ title: 'Comparison', rows: [{ ...rows()[1], results: [{ ...rows()[1].results[0], label: undefined }] }] });
    expect(html).toContain('<tr><th>image</th><th>rise</th></tr>');
    expect(html).toContain('<tr><td>rise</td><td class="num">1</td>');
  });

  it('summarises mean AUCs per method, labelled as given, with method columns in first-seen order', async () => {
    const html = await reportHtml({ title: 'Comparison', rows: rows() });
    expect(html).toContain('<tr><td>RISE</td><td class="num">2</td><td class="num">0.700</td><td class="num">0.150</td></tr>');
    expect(html).toContain('<tr><td>Abs-CAM (Init)</td><td class="num">1</td><td class="num">0.400</td><td class="num">0.300</td></tr>');
    expect(html).toContain('<tr><th>image</th><th>RISE</th><th>Abs-CAM (Init)</th></tr>');
    expect(html).toContain('insertion AUC 0.600 · deletion AUC 0.100');
    // dog.png has no Abs-CAM result: an empty cell.
    expect(html).toContain('<td>–</td>');
  });

  it('takes a given summary instead, and shrinks large images to thumbnails', async () => {
    const html = await reportHtml({
      title: 'x',
      rows: rows(),
      summary: [{ method: 'rise', images: 100, insertion: 0.123456 }],
      thumbnailSize: 100,
    });
    expect(html).toContain('<tr><td>RISE</td><td class="num">100</td><td class="num">0.123</td><td class="num">–</td></tr>');
    expect(html).toContain('width="100" height="60"');
  });
});
