//! Every visible string of the card registration window in its four languages (`langFlag`:
//! KOR, ENG, JPN, CHN; decision 19).

use easypay_api::billing::LangFlag;
use easypay_api::card_input::{CardField, Problem};

/// A page title and the sentence under it.
pub struct Heading {
    pub title: &'static str,
    pub text: &'static str,
}

/// One field: its label, a placeholder, and what to say for each problem.
pub struct FieldText {
    pub label: &'static str,
    pub placeholder: &'static str,
    pub missing: &'static str,
    pub bad_shape: &'static str,
}

pub struct WindowText {
    /// The `lang` attribute.
    pub html_lang: &'static str,
    pub brand: &'static str,
    pub form: Heading,
    pub merchant: &'static str,
    pub goods: &'static str,
    pub order_no: &'static str,
    pub card_no: FieldText,
    pub luhn: &'static str,
    pub expiry: FieldText,
    pub expired_card: &'static str,
    pub birth_date: FieldText,
    pub impossible_date: &'static str,
    pub card_password: FieldText,
    pub fix_errors: &'static str,
    pub submit: &'static str,
    pub cancel: &'static str,
    pub sandbox_note: &'static str,
    pub completed: Heading,
    pub cancelled: Heading,
    pub expired: Heading,
    pub returning: &'static str,
    pub return_to_merchant: &'static str,
    pub not_found: Heading,
    pub refused: Heading,
    /// The merchant is deactivated: it takes no cards.
    pub not_accepting: Heading,
    pub failed: Heading,
}

impl WindowText {
    pub fn of(lang: LangFlag) -> &'static WindowText {
        match lang {
            LangFlag::Kor => &KOR,
            LangFlag::Eng => &ENG,
            LangFlag::Jpn => &JPN,
            LangFlag::Chn => &CHN,
        }
    }

    pub fn field(&self, field: CardField) -> &FieldText {
        match field {
            CardField::CardNo => &self.card_no,
            CardField::Expiry => &self.expiry,
            CardField::BirthDate => &self.birth_date,
            CardField::CardPassword => &self.card_password,
        }
    }

    /// What the window says about `problem` in `field`.
    pub fn problem(&self, field: CardField, problem: Problem) -> &'static str {
        let text = self.field(field);
        match problem {
            Problem::Missing => text.missing,
            Problem::BadShape => text.bad_shape,
            Problem::Luhn => self.luhn,
            Problem::Past => self.expired_card,
            Problem::Impossible => self.impossible_date,
        }
    }
}

static KOR: WindowText = WindowText {
    html_lang: "ko",
    brand: "EasyPay 카드 등록",
    form: Heading {
        title: "카드 등록",
        text: "정기결제에 사용할 카드 정보를 입력해 주세요.",
    },
    merchant: "가맹점",
    goods: "상품",
    order_no: "주문번호",
    card_no: FieldText {
        label: "카드번호",
        placeholder: "숫자만 입력",
        missing: "카드번호를 입력해 주세요.",
        bad_shape: "카드번호는 13~19자리 숫자입니다.",
    },
    luhn: "카드번호가 올바르지 않습니다. 다시 확인해 주세요.",
    expiry: FieldText {
        label: "유효기간 (MMYY)",
        placeholder: "MMYY",
        missing: "유효기간을 입력해 주세요.",
        bad_shape: "유효기간은 MMYY 형식입니다 (예: 0829).",
    },
    expired_card: "유효기간이 지난 카드입니다.",
    birth_date: FieldText {
        label: "생년월일 (YYMMDD)",
        placeholder: "YYMMDD",
        missing: "생년월일을 입력해 주세요.",
        bad_shape: "생년월일은 YYMMDD 6자리입니다.",
    },
    impossible_date: "존재하지 않는 날짜입니다.",
    card_password: FieldText {
        label: "카드 비밀번호 앞 2자리",
        placeholder: "••",
        missing: "비밀번호 앞 2자리를 입력해 주세요.",
        bad_shape: "비밀번호 앞 2자리는 숫자 2개입니다.",
    },
    fix_errors: "입력 내용을 확인해 주세요.",
    submit: "등록하기",
    cancel: "취소",
    sandbox_note: "테스트 환경입니다. 실제 카드로 결제되지 않습니다.",
    completed: Heading {
        title: "카드 등록 완료",
        text: "카드가 등록되었습니다.",
    },
    cancelled: Heading {
        title: "등록 취소",
        text: "카드 등록이 취소되었습니다.",
    },
    expired: Heading {
        title: "시간 초과",
        text: "등록 가능 시간(30분)이 지났습니다. 가맹점에서 다시 시작해 주세요.",
    },
    returning: "가맹점으로 돌아가는 중…",
    return_to_merchant: "가맹점으로 돌아가기",
    not_found: Heading {
        title: "페이지를 찾을 수 없습니다",
        text: "존재하지 않는 카드 등록 창입니다. 가맹점에서 다시 시작해 주세요.",
    },
    refused: Heading {
        title: "요청을 처리할 수 없습니다",
        text: "이 양식은 카드 등록 창에서만 보낼 수 있습니다. 창을 다시 열어 주세요.",
    },
    not_accepting: Heading {
        title: "결제를 받지 않는 가맹점",
        text: "이 가맹점은 현재 카드 등록을 받지 않습니다. 카드는 등록되지 않았습니다. 가맹점에 문의해 주세요.",
    },
    failed: Heading {
        title: "문제가 발생했습니다",
        text: "잠시 후 다시 시도해 주세요.",
    },
};

static ENG: WindowText = WindowText {
    html_lang: "en",
    brand: "EasyPay card registration",
    form: Heading {
        title: "Register your card",
        text: "Enter the card to use for recurring payments.",
    },
    merchant: "Merchant",
    goods: "Product",
    order_no: "Order number",
    card_no: FieldText {
        label: "Card number",
        placeholder: "Digits only",
        missing: "Enter the card number.",
        bad_shape: "A card number has 13 to 19 digits.",
    },
    luhn: "This card number is not valid. Please check it.",
    expiry: FieldText {
        label: "Expiry (MMYY)",
        placeholder: "MMYY",
        missing: "Enter the expiry date.",
        bad_shape: "Enter the expiry as MMYY (e.g. 0829).",
    },
    expired_card: "This card has expired.",
    birth_date: FieldText {
        label: "Date of birth (YYMMDD)",
        placeholder: "YYMMDD",
        missing: "Enter your date of birth.",
        bad_shape: "Enter your date of birth as YYMMDD.",
    },
    impossible_date: "This date does not exist.",
    card_password: FieldText {
        label: "First 2 digits of the card PIN",
        placeholder: "••",
        missing: "Enter the first 2 digits of the card PIN.",
        bad_shape: "Enter exactly 2 digits.",
    },
    fix_errors: "Please correct the fields below.",
    submit: "Register",
    cancel: "Cancel",
    sandbox_note: "Sandbox: no real card is charged.",
    completed: Heading {
        title: "Card registered",
        text: "Your card was registered.",
    },
    cancelled: Heading {
        title: "Registration cancelled",
        text: "The card registration was cancelled.",
    },
    expired: Heading {
        title: "Window expired",
        text: "This registration window has expired (30 minutes). Please start again from the shop.",
    },
    returning: "Returning to the merchant…",
    return_to_merchant: "Return to the merchant",
    not_found: Heading {
        title: "Page not found",
        text: "This card registration window does not exist. Please start again from the shop.",
    },
    refused: Heading {
        title: "Request refused",
        text: "This form can only be sent from the registration window itself. Please reopen the window.",
    },
    not_accepting: Heading {
        title: "Not accepting payments",
        text: "This merchant is not accepting payments at the moment. No card was registered; please contact the merchant.",
    },
    failed: Heading {
        title: "Something went wrong",
        text: "Please try again in a moment.",
    },
};

static JPN: WindowText = WindowText {
    html_lang: "ja",
    brand: "EasyPay カード登録",
    form: Heading {
        title: "カード登録",
        text: "定期決済に使うカード情報を入力してください。",
    },
    merchant: "加盟店",
    goods: "商品",
    order_no: "注文番号",
    card_no: FieldText {
        label: "カード番号",
        placeholder: "数字のみ",
        missing: "カード番号を入力してください。",
        bad_shape: "カード番号は13〜19桁の数字です。",
    },
    luhn: "カード番号が正しくありません。ご確認ください。",
    expiry: FieldText {
        label: "有効期限 (MMYY)",
        placeholder: "MMYY",
        missing: "有効期限を入力してください。",
        bad_shape: "有効期限はMMYY形式で入力してください（例：0829）。",
    },
    expired_card: "有効期限が切れたカードです。",
    birth_date: FieldText {
        label: "生年月日 (YYMMDD)",
        placeholder: "YYMMDD",
        missing: "生年月日を入力してください。",
        bad_shape: "生年月日はYYMMDDの6桁で入力してください。",
    },
    impossible_date: "存在しない日付です。",
    card_password: FieldText {
        label: "暗証番号の先頭2桁",
        placeholder: "••",
        missing: "暗証番号の先頭2桁を入力してください。",
        bad_shape: "暗証番号は数字2桁で入力してください。",
    },
    fix_errors: "入力内容をご確認ください。",
    submit: "登録する",
    cancel: "キャンセル",
    sandbox_note: "テスト環境です。実際のカードには請求されません。",
    completed: Heading {
        title: "カード登録完了",
        text: "カードが登録されました。",
    },
    cancelled: Heading {
        title: "登録キャンセル",
        text: "カード登録がキャンセルされました。",
    },
    expired: Heading {
        title: "時間切れ",
        text: "登録の有効時間（30分）が過ぎました。加盟店からやり直してください。",
    },
    returning: "加盟店に戻っています…",
    return_to_merchant: "加盟店に戻る",
    not_found: Heading {
        title: "ページが見つかりません",
        text: "このカード登録画面は存在しません。加盟店からやり直してください。",
    },
    refused: Heading {
        title: "リクエストを処理できません",
        text: "このフォームは登録画面からのみ送信できます。画面を開き直してください。",
    },
    not_accepting: Heading {
        title: "お支払いを受け付けていません",
        text: "この加盟店は現在お支払いを受け付けていません。カードは登録されていません。加盟店にお問い合わせください。",
    },
    failed: Heading {
        title: "エラーが発生しました",
        text: "しばらくしてからもう一度お試しください。",
    },
};

static CHN: WindowText = WindowText {
    html_lang: "zh",
    brand: "EasyPay 银行卡登记",
    form: Heading {
        title: "登记银行卡",
        text: "请输入用于定期付款的卡信息。",
    },
    merchant: "商户",
    goods: "商品",
    order_no: "订单号",
    card_no: FieldText {
        label: "卡号",
        placeholder: "仅限数字",
        missing: "请输入卡号。",
        bad_shape: "卡号为13至19位数字。",
    },
    luhn: "卡号无效，请检查。",
    expiry: FieldText {
        label: "有效期 (MMYY)",
        placeholder: "MMYY",
        missing: "请输入有效期。",
        bad_shape: "有效期格式为MMYY（例如0829）。",
    },
    expired_card: "此卡已过期。",
    birth_date: FieldText {
        label: "出生日期 (YYMMDD)",
        placeholder: "YYMMDD",
        missing: "请输入出生日期。",
        bad_shape: "出生日期为YYMMDD六位数字。",
    },
    impossible_date: "该日期不存在。",
    card_password: FieldText {
        label: "卡密码前两位",
        placeholder: "••",
        missing: "请输入卡密码前两位。",
        bad_shape: "请输入两位数字。",
    },
    fix_errors: "请更正以下内容。",
    submit: "登记",
    cancel: "取消",
    sandbox_note: "测试环境：不会从真实的卡扣款。",
    completed: Heading {
        title: "登记完成",
        text: "您的卡已登记。",
    },
    cancelled: Heading {
        title: "登记已取消",
        text: "银行卡登记已取消。",
    },
    expired: Heading {
        title: "已超时",
        text: "登记窗口已过期（30分钟）。请从商户重新开始。",
    },
    returning: "正在返回商户…",
    return_to_merchant: "返回商户",
    not_found: Heading {
        title: "页面不存在",
        text: "此银行卡登记窗口不存在。请从商户重新开始。",
    },
    refused: Heading {
        title: "请求被拒绝",
        text: "此表单只能从登记窗口提交。请重新打开窗口。",
    },
    not_accepting: Heading {
        title: "暂不接受付款",
        text: "该商户目前不接受付款。银行卡未登记。请联系商户。",
    },
    failed: Heading {
        title: "出现问题",
        text: "请稍后再试。",
    },
};
