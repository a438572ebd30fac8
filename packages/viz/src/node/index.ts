export { readImage, decodeImage, type ReadImageOptions } from './read.js';
export { encodePngNode, svgToPng, type RasterOptions } from './png.js';
export { writeBytes, writePng, writeOverlay, writeSvg, writeFigure, writeCurves, writeMaskGrid, writeMapRow, writeReport } from './write.js';
