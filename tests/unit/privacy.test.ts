import { describe, expect, it } from 'vitest';
import { MOBILE_REMOVED, maskText } from '../../db/privacy.ts';

describe('masking personal numbers in public text', () => {
  it.each([
    ['支付张三误工补贴 身份证511526198805061234', '支付张三误工补贴 身份证511526********1234'],
    ['身份证号 51152619880506123X 已核实', '身份证号 511526********123X 已核实'],
    ['身份证号 51152619880506123x', '身份证号 511526********123X'],
    ['身份证 5115 2619 8805 0612 34', '身份证 511526********1234'],
    ['身份证 511526-19880506-1234', '身份证 511526********1234'],
    ['身份证５１１５２６１９８８０５０６１２３４', '身份证511526********1234'],
    ['老身份证 511526880506123', '老身份证 511526*****6123'],
    ['转入农商行卡 6228480402564890018 王五', '转入农商行卡 ****0018 王五'],
    ['卡号 6228 4804 0256 4890 018', '卡号 ****0018'],
    ['联系电话13812345678', `联系电话${MOBILE_REMOVED}`],
    ['电话 138 1234 5678 李四', `电话 ${MOBILE_REMOVED} 李四`],
    ['电话 138-1234-5678', `电话 ${MOBILE_REMOVED}`],
    ['手机１３９１２３４５６７８', `手机${MOBILE_REMOVED}`],
    ['+8613812345678', `+${MOBILE_REMOVED}`],
  ])('%s', (input, expected) => {
    expect(maskText(input)).toBe(expected);
  });

  it.each([
    '2025年3月5日 支付2025年村级组织运转经费55000.00元',
    '记-2025-03-015 办公用品',
    '发票号码 51223799601',
    '村组道路硬化工程 第2期 1200米',
    '电费 226.67',
    '',
  ])('leaves %j alone', (text) => {
    expect(maskText(text)).toBe(text);
  });

  it('keeps null as null', () => {
    expect(maskText(null)).toBeNull();
  });

  it('masks every number in a text with several', () => {
    const out = maskText('张三 511526198805061234 电话13812345678 卡6228480402564890018');
    expect(out).toBe(`张三 511526********1234 电话${MOBILE_REMOVED} 卡****0018`);
  });
});
