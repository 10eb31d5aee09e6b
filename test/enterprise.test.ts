/**
 * Enterprise lookup's pure rules: the unified social credit code's check character (GB 32100-2015) on real published
 * codes, whose weighted sums are worked out by hand below (never by the code under test), and what one import line
 * may carry; and the NDJSON reader (api/kit/ndjson.ts) on a real stream: lines as they arrive, blank lines skipped but
 * counted, a bad line alone refused, the limits.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Request } from 'express';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { creditCodeCheckCharacter, creditCodeFault, isCreditCode } from '../domain/credit-code.js';
import { readEnterpriseLine } from '../domain/enterprise.js';
import { type NdjsonLine, ndjsonLines, type StreamBody } from '../api/kit/ndjson.js';

/**
 * Real codes, as printed on the business licences and in the national enterprise credit publicity system. Weights
 * 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28; letters count A=10 B=11 … H=17 J=18 … N=22 P=23 Q=24 R=25 T=26.
 * check = 31 − (sum mod 31), as the character of that value.
 */
const PUBLISHED = [
  // 华为技术有限公司: 9·1+1·3+4·9+4·27+0·19+3·26+0·16+0·17+1·20+9·29+2·25+2·13+0·8+3·24+8·10+2·30+1·28
  // = 9+3+36+108+0+78+0+0+20+261+50+26+0+72+80+60+28 = 831; 831 = 26·31 + 25; 31 − 25 = 6 → '6'.
  { name: '华为技术有限公司', code: '914403001922038216' },
  // 深圳市腾讯计算机系统有限公司: 9+3+36+108+0+78+0+0+140+0+200+52+48+24+10+90+168 = 966 = 31·31 + 5; 31 − 5 = 26 → 'T'.
  { name: '深圳市腾讯计算机系统有限公司', code: '91440300708461136T' },
  // 小米科技有限责任公司: 9+3+9+27+0+26+0+136+100+145+25+39+64+120+0+240+56 = 999 = 32·31 + 7; 31 − 7 = 24 → 'Q'.
  { name: '小米科技有限责任公司', code: '91110108551385082Q' },
  // 阿里巴巴（中国）有限公司: 9+3+27+81+0+26+0+0+140+261+225+78+40+120+0+150+224 = 1384 = 44·31 + 20; 31 − 20 = 11 → 'B'.
  { name: '阿里巴巴（中国）有限公司', code: '91330100799655058B' },
  // 杭州阿里巴巴网络科技有限公司: 9+3+27+81+0+26+0+0+140+29+150+13+0+120+80+150+56 = 884 = 28·31 + 16; 31 − 16 = 15 → 'F'.
  { name: '杭州阿里巴巴网络科技有限公司', code: '91330100716105852F' },
];

describe('unified social credit code (GB 32100-2015)', () => {
  it.each(PUBLISHED)('$name $code is valid, its check character the one worked out by hand', ({ code }) => {
    expect(creditCodeFault(code)).toBeUndefined();
    expect(creditCodeCheckCharacter(code.slice(0, 17))).toBe(code[17]);
  });

  it('refuses a wrong check character, naming the check as the fault', () => {
    expect(creditCodeFault('914403001922038217')).toBe('check');
    expect(creditCodeFault('91440300708461136U')).toBe('check');
    // Two digits swapped: the weights tell them apart.
    expect(creditCodeFault('914403001922038126')).toBe('check');
  });

  it('a remainder of 0 gives the check character 0, not the 32nd character', () => {
    // '1' at position 1 (weight 1) and 'A' (10) at position 2 (weight 3): 1 + 30 = 31 ≡ 0 → check '0'.
    // Seventeen '1's: the weights' sum 305 = 9·31 + 26 → 31 − 26 = 5. '1' then sixteen '0's: 1 → 31 − 1 = 30 → 'Y'.
    expect(creditCodeCheckCharacter('1A000000000000000')).toBe('0');
    expect(isCreditCode('1A0000000000000000')).toBe(true);
    expect(creditCodeCheckCharacter('11111111111111111')).toBe('5');
    expect(creditCodeCheckCharacter('10000000000000000')).toBe('Y');
  });

  it('refuses other lengths, lower case and the letters GB 32100 leaves out (I, O, Z, S, V)', () => {
    expect(creditCodeFault('91440300192203821')).toBe('length');
    expect(creditCodeFault('9144030019220382166')).toBe('length');
    expect(creditCodeFault('')).toBe('length');
    expect(creditCodeFault('91440300708461136t')).toBe('character');
    for (const letter of ['I', 'O', 'Z', 'S', 'V']) expect(creditCodeFault(`91440300708461136${letter}`)).toBe('character');
    expect(creditCodeCheckCharacter('9144030070846113')).toBeUndefined();
  });

  it('refuses a letter among characters 3–8 (the administrative division code), even with a matching check character', () => {
    // The check character is made to match, so the division is the only fault left.
    const first17 = '9144A300708461136';
    expect(creditCodeFault(first17 + creditCodeCheckCharacter(first17))).toBe('division');
    expect(creditCodeFault('91440300708461136T')).toBeUndefined(); // the same code with digits there is fine
  });
});

describe('an import line', () => {
  it('carries a code, a name and optional industry, region and registered capital', () => {
    const line = { creditCode: '914403001922038216', name: ' 华为技术有限公司 ', industry: '计算机、通信和其他电子设备制造业', region: '广东省深圳市', registeredCapital: { currency: 'CNY', minor: 4_104_113_182_00 } };
    expect(readEnterpriseLine(JSON.stringify(line))).toEqual({ line: { ...line, name: '华为技术有限公司' } });
  });

  it('is refused naming each field at fault', () => {
    const fields = (text: string) => {
      const read = readEnterpriseLine(text);
      return 'fault' in read ? read.fault.errors.map((e) => e.field) : [];
    };
    expect(fields(JSON.stringify({ creditCode: '914403001922038217', name: '华为' }))).toEqual(['creditCode']);
    expect(fields(JSON.stringify({ creditCode: '914403001922038216' }))).toEqual(['name']);
    expect(fields(JSON.stringify({ creditCode: '914403001922038216', name: '华为', registeredCapital: { currency: 'CNY', minor: -1 } }))).toEqual(['registeredCapital.minor']);
    expect(fields(JSON.stringify({ creditCode: '914403001922038216', name: '华为', boss: 'x' }))).toEqual(['boss']);
    expect(fields(JSON.stringify({ creditCode: '914403001922038216', name: 'a\u0000b' }))).toEqual(['name']);
    expect(readEnterpriseLine('{"creditCode":')).toEqual({ fault: { code: 'malformed-line', errors: [{ field: '(line)', message: 'not a JSON value' }] } });
    expect(fields('[1,2]')).toEqual(['(line)']);
  });
});

describe('the NDJSON reader', () => {
  const spec: StreamBody = { types: ['application/x-ndjson'], maxBytes: 200, maxLines: 4, maxLineBytes: 20, line: z.unknown(), description: 'test' };
  const read = async (chunks: (string | Buffer)[], over: Partial<StreamBody> = {}) => {
    const hash = createHash('sha256');
    const lines: NdjsonLine[] = [];
    const req = Readable.from(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c))) as unknown as Request;
    for await (const line of ndjsonLines(req, { ...spec, ...over }, hash)) lines.push(line);
    return { lines, hash: hash.digest('hex') };
  };
  const shape = (l: NdjsonLine) => ('text' in l ? [l.line, l.text] : [l.line, `unreadable: ${l.unreadable}`]);

  it('yields lines across chunk boundaries, skips blank lines but counts them, takes CRLF and a last line without newline', async () => {
    const { lines, hash } = await read(['{"a":', '1}\r\n\n  \n{"b"', ':2}\n', '{"c":3}']);
    expect(lines.map(shape)).toEqual([
      [1, '{"a":1}'],
      [4, '{"b":2}'],
      [5, '{"c":3}'],
    ]);
    expect(hash).toBe(createHash('sha256').update('{"a":1}\r\n\n  \n{"b":2}\n{"c":3}').digest('hex'));
  });

  it('refuses a line too long or not UTF-8 alone, and the next line goes on', async () => {
    const { lines } = await read(['x'.repeat(30), '\n', Buffer.from([0x7b, 0xff, 0x7d, 0x0a]), '{"ok":1}\n']);
    expect(lines.map(shape)).toEqual([
      [1, 'unreadable: the line is longer than 20 bytes'],
      [2, 'unreadable: the line is not UTF-8 text'],
      [3, '{"ok":1}'],
    ]);
    // The same long line hashes the same (a retry is compared line by line), another one does not.
    const again = await read(['x'.repeat(30), '\n']);
    const other = await read(['x'.repeat(29), 'y\n']);
    expect(again.lines[0]!.sha256).toBe(lines[0]!.sha256);
    expect(other.lines[0]!.sha256).not.toBe(lines[0]!.sha256);
  });

  it('throws the 413 problem past the line or byte limit, after yielding the lines before it', async () => {
    const seen: number[] = [];
    const tooMany = async () => {
      const req = Readable.from([Buffer.from('1\n2\n3\n4\n5\n')]) as unknown as Request;
      for await (const line of ndjsonLines(req, spec, createHash('sha256'), () => ({ linesRecorded: seen.length }))) seen.push(line.line);
    };
    await expect(tooMany()).rejects.toMatchObject({ status: 413, code: 'payload-too-large', extensions: { linesRecorded: 4 } });
    expect(seen).toEqual([1, 2, 3, 4]);
    await expect(read(['{"a":1}\n'.repeat(30)])).rejects.toMatchObject({ status: 413 });
  });
});
